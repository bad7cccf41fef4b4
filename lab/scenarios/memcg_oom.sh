# A memory-cgroup OOM: reportgen allocates without bound inside
# system.slice/reportgen.service (memory.max 48M, no swap); vm.panic_on_oom=2 panics on
# any OOM, a memcg one included ("compulsory panic_on_oom").
# lab-verdict: oom
sysctl -w vm.panic_on_oom=2 vm.overcommit_memory=1
echo +memory > /sys/fs/cgroup/system.slice/cgroup.subtree_control
G=/sys/fs/cgroup/system.slice/reportgen.service
mkdir -p $G
echo 48M > $G/memory.max
echo 0 > $G/memory.swap.max 2>/dev/null
echo "vmlab: cgroup path=${G#/sys/fs/cgroup} memory_max=48M comm=reportgen" > /dev/kmsg
sh -c "echo \$\$ > $G/cgroup.procs; exec vmtool -n reportgen hog" &
