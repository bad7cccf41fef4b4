/* SPDX-License-Identifier: MIT */
/*
 * The services layer's public header (lib/services): what ktriage and
 * ktriaged share beside the analysis: the configuration, the state
 * directory's layout, the findings store and the typed reader of a report.
 * Its parts are kept in files of their own; include this one
 * (tools/check-layers holds everyone outside the layer to it).
 */
#ifndef KTRIAGE_SERVICES_H
#define KTRIAGE_SERVICES_H

#include "ktriage/base.h"
#include "ktriage/build_cache.h"
#include "ktriage/config.h"
#include "ktriage/layout.h"
#include "ktriage/store.h"

#endif
