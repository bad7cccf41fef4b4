# A hung mutex: jq_commit holds jq_lock and waits for a completion that never comes;
# jq_apply/0..2 and jqctl block in mutex_lock(&jq_lock). The log keeps every report.
# lab-verdict: hung_task
# lab-modules: journalq
sysctl -w kernel.hung_task_timeout_secs=5 kernel.hung_task_panic=1 kernel.hung_task_warnings=10
modprobe journalq
sleep 1
vmtool -n jqctl write /proc/journalq sync &
