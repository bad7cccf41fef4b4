# lab-verdict: cgroup_deadlock
# lab-modules: cgswap
# cgswap.ko: podmgr holds cgroup_threadgroup_rwsem for read and waits for cgroup_mutex;
# ctr-init holds cgroup_mutex and waits in percpu_down_write(); podspawn's fork() and
# slicectl's cgroupfs mkdir queue behind them. Everything starts up front (with -d delays):
# once the writer is pending no process can fork.
sysctl -w kernel.hung_task_timeout_secs=8 kernel.hung_task_panic=1 kernel.hung_task_warnings=10
modprobe cgswap
mkdir -p /sys/fs/cgroup/kubepods.slice/pod-c3
vmtool -n podspawn -d 3 forkloop 20 &
echo "vmlab: waiter sym=cgroup_threadgroup_rwsem pid=$! comm=podspawn" > /dev/kmsg
vmtool -n slicectl -d 4 mkdir /sys/fs/cgroup/kubepods.slice/pod-d4 &
echo "vmlab: waiter sym=cgroup_mutex pid=$! comm=slicectl" > /dev/kmsg
vmtool -n podmgr write /proc/cgswap_spawn 1 &
vmtool -n ctr-init write /proc/cgswap_move 1 &
