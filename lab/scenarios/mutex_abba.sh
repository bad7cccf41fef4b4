# lab-verdict: hung_task
# lab-modules: ordlock
# ordlock.ko: ordidx_sync holds idx_lock and waits for tbl_lock; ordtbl_scan holds tbl_lock
# and waits for idx_lock; ordstat queues on tbl_lock.
sysctl -w kernel.hung_task_timeout_secs=5 kernel.hung_task_panic=1 kernel.hung_task_warnings=10
modprobe ordlock
