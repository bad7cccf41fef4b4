# lab-verdict: hung_task
# lab-modules: fwsem
# fwsem.ko: fwload_own holds fw_sem (struct semaphore) forever; fwload_wrk/0..1 and fwctl block in down().
sysctl -w kernel.hung_task_timeout_secs=5 kernel.hung_task_panic=1 kernel.hung_task_warnings=10
modprobe fwsem
sleep 1
vmtool -n fwctl write /proc/fwsem load &
