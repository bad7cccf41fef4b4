# jq_stall, but the hung-task reports are overwritten before the panic: once the detector
# has reported, journalq prints ~500 KB of KERN_DEBUG noise (the ring holds 128 KB), then
# hung_task_panic=1 makes the next scan panic without printing a report (warnings=0).
# The log keeps only noise and "Kernel panic - not syncing: hung_task: blocked tasks".
# lab-verdict: hung_task
# lab-modules: journalq
sysctl -w kernel.hung_task_timeout_secs=5 kernel.hung_task_panic=0 kernel.hung_task_warnings=10
modprobe journalq
sleep 1
vmtool -n jqctl write /proc/journalq sync &
until dmesg | grep -q 'blocked for more than'; do sleep 1; done
sysctl -w kernel.hung_task_warnings=0
echo 4000 > /proc/journalq_noise
sysctl -w kernel.hung_task_panic=1
