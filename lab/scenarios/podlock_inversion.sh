# The cgroup lock inversion (cgroup_mutex vs cgroup_threadgroup_rwsem), both sides taken from
# an out-of-tree module (podlock.ko), so no cgroup frame is on either stack.
#  podagent: read cgroup_threadgroup_rwsem, then mutex_lock(cgroup_mutex)
#  cgmover:  mutex_lock(cgroup_mutex), then percpu_down_write(cgroup_threadgroup_rwsem)
#  podspawn (fork) then piles up on the rwsem, podctl (cgroupfs mkdir) on cgroup_mutex.
# Under --kdump (real kdump) the detector prints one report and panics (hung_task_warnings=1),
# as production's khungtaskd does on its first report; under QEMU it prints every blocked task.
# 6.12 prints every hung task when it is about to panic, whatever hung_task_warnings says: so
# under --kdump the bystanders (podspawn, podctl, which block in cgroup code and would name the
# locks in the log) are not started, and the log shows the two module-side tasks at most.
# lab-verdict: cgroup_deadlock
# lab-modules: podlock
warnings=10
[ ! -e /kdump.sh ] || warnings=1
sysctl -w kernel.hung_task_timeout_secs=8 kernel.hung_task_panic=1 kernel.hung_task_warnings=$warnings
# Without data symbols in kallsyms (arm64 Debian) the module takes them from System.map,
# which lab/capture puts in the arm64 initramfs.
mapsym() { awk -v s="$1" '$3 == s { print "0x" $1; exit }' /System.map; }
if [ -e /System.map ]; then
	modprobe podlock map_stext=$(mapsym _stext) map_cgroup_mutex=$(mapsym cgroup_mutex) \
		map_tg_rwsem=$(mapsym cgroup_threadgroup_rwsem)
else
	modprobe podlock
fi
mkdir -p /sys/fs/cgroup/kubepods.slice/pod-c3
# the reader first: the detector walks tasks in creation order
vmtool -n podagent write /proc/podlock_enter 1 &
sleep 0.2
vmtool -n cgmover write /proc/podlock_move 1 &
if [ ! -e /kdump.sh ]; then
	vmtool -n podspawn -d 3 forkloop 20 &
	echo "vmlab: waiter sym=cgroup_threadgroup_rwsem pid=$! comm=podspawn" > /dev/kmsg
	vmtool -n podctl -d 4 mkdir /sys/fs/cgroup/kubepods.slice/pod-d4 &
	echo "vmlab: waiter sym=cgroup_mutex pid=$! comm=podctl" > /dev/kmsg
fi
