# lab-verdict: soft_lockup
# lab-modules: rxqspin
# rxqspin.ko: rxq_hold/1 holds rxq_lock and busy-waits on CPU 1; rxq_poll/0 spins on it on CPU 0.
sysctl -w kernel.softlockup_panic=1 kernel.watchdog_thresh=5
modprobe rxqspin
