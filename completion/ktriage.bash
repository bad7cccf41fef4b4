# bash completion for ktriage(1) and ktriaged(8)                -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Installed as /usr/share/bash-completion/completions/ktriage, with ktriaged a
# link to it (bash-completion loads a file by the command's name).  The
# subcommands and options are those of `ktriage COMMAND --help`;
# tests/integration/test_packaging.py checks that they stay in step.

# COMPREPLY+=($(compgen ...)) is the completion idiom: words split on IFS.
# shellcheck disable=SC2207

_ktriage_commands='info sym bt check dmesg ps mod kmem sys struct p rd files locks analyze list show retriage notify'

_ktriage_verdicts='sysrq mce cgroup_deadlock rt_mutex_corruption hung_task timer_bug
	list_corruption oom null_deref gpf kernel_bug panic_on_warn soft_lockup hard_lockup
	rcu_stall init_died no_root_fs unknown'

# The options each subcommand takes (--help everywhere).
_ktriage_options()
{
	local dump='--json --vmlinux --btf --help'
	case $1 in
		info | sys | files) echo "$dump" ;;
		analyze) echo "--log $dump" ;;
		dmesg) echo "-T --level $dump" ;;
		ps) echo "-m -p -g $dump" ;;
		kmem) echo "-i -s $dump" ;;
		struct | p) echo "-x -d $dump" ;;
		rd) echo "-8 -16 -32 -64 -s -p $dump" ;;
		sym) echo '--help' ;;
		bt) echo "-a -s -c -f --all-tasks --state $dump" ;;
		check) echo '--json --pfns --help' ;;
		mod) echo "-a --all $dump" ;;
		locks) echo "--dot $dump" ;;
		list) echo '--state-dir --since --verdict --json --help' ;;
		show) echo '--state-dir --json --help' ;;
		retriage | notify) echo '--state-dir --help' ;;
	esac
}

# Files, directories or words, without bash-completion's helpers if it is absent.
_ktriage_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	else
		local IFS=$'\n'
		if [[ $1 == -d ]]; then
			COMPREPLY+=($(compgen -d -- "$cur"))
		else
			COMPREPLY+=($(compgen -f -- "$cur"))
		fi
	fi
}

_ktriage_words()
{
	COMPREPLY+=($(compgen -W "$1" -- "$cur"))
}

_ktriage()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	COMPREPLY=()

	# The subcommand: the first word after ktriage that is not an option.
	local i command=
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} != -* ]]; then
			command=${words[i]}
			break
		fi
	done
	if [[ -z $command ]]; then
		_ktriage_words "$_ktriage_commands --help --version"
		return
	fi

	# The argument of an option.
	case $prev in
		--vmlinux | --btf | --log)
			_ktriage_files
			return ;;
		--state-dir)
			_ktriage_files -d
			return ;;
		--verdict)
			_ktriage_words "$_ktriage_verdicts"
			return ;;
		--state)
			_ktriage_words 'RU IN UN ID ST TR ZO DE PA NE WA'
			return ;;
		--since)
			_ktriage_words 'today yesterday 1h 12h 1d 7d 30d'
			return ;;
		--level)
			_ktriage_words 'emerg alert crit err warn notice info debug'
			return ;;
		--pfns)
			return ;;
	esac

	if [[ $cur == -* ]]; then
		_ktriage_words "$(_ktriage_options "$command")"
		return
	fi
	case $command in
		list) ;;
		notify)
			# A dump directory, or one dump.
			_ktriage_files ;;
		show | retriage)
			# An id from `ktriage list`, or a dump's file name.
			_ktriage_files ;;
		*)
			# DUMP (or LOG for analyze); sym and bt then take symbols and pids,
			# which only the dump knows.
			local operands=0
			for ((i = i + 1; i < cword; i++)); do
				case ${words[i - 1]} in
					--vmlinux | --btf | --state | --pfns | --level | --log) continue ;;
				esac
				[[ ${words[i]} != -* ]] && ((operands++))
			done
			if ((operands == 0)) || [[ $command == check ]]; then
				_ktriage_files
			fi ;;
	esac
}
complete -F _ktriage ktriage

_ktriaged()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	COMPREPLY=()
	case $prev in
		--config | --textfile)
			_ktriage_files
			return ;;
		--watch | --state-dir)
			_ktriage_files -d
			return ;;
		--workers)
			return ;;
	esac
	_ktriage_words '--config --watch --state-dir --workers --textfile --check-config --debug --help --version'
}
complete -F _ktriaged ktriaged

# ex: filetype=sh
