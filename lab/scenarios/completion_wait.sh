# lab-verdict: hung_task
# lab-modules: evwait
# evwait.ko: evwait_io/0..1 and evclient wait on a completion (ev_ready) nobody completes; no lock.
sysctl -w kernel.hung_task_timeout_secs=5 kernel.hung_task_panic=1 kernel.hung_task_warnings=10
modprobe evwait
sleep 1
vmtool -n evclient write /proc/evwait go &
