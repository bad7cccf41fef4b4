# lab-verdict: hung_task
# lab-modules: virtio_pci virtio_blk ext4 crc32c_generic
# lab-disk: 64M
# ext4 on the virtio disk mounted at /srv/mqueue, frozen with FIFREEZE (busybox fsfreeze)
# and never thawed; mqd x2 and mqlog block in sb_start_write().
sysctl -w kernel.hung_task_timeout_secs=5 kernel.hung_task_panic=1 kernel.hung_task_warnings=10
modprobe virtio_pci
modprobe virtio_blk
modprobe ext4
modprobe crc32c_generic 2>/dev/null
sleep 1
mkdir -p /srv/mqueue
mount -t ext4 /dev/vda /srv/mqueue || echo "vmlab: mount failed" > /dev/kmsg
mkdir -p /srv/mqueue/spool
vmtool -n mqd appender /srv/mqueue/spool/q0.dat &
echo "vmlab: waiter sym=sb_writers pid=$! comm=mqd" > /dev/kmsg
vmtool -n mqd appender /srv/mqueue/spool/q1.dat &
echo "vmlab: waiter sym=sb_writers pid=$! comm=mqd" > /dev/kmsg
vmtool -n mqlog appender /srv/mqueue/mq.log &
echo "vmlab: waiter sym=sb_writers pid=$! comm=mqlog" > /dev/kmsg
sleep 2
fsfreeze --freeze /srv/mqueue
echo "vmlab: fsfreeze rc=$? mnt=/srv/mqueue dev=vda fstype=ext4 kind=percpu_rwsem sym=sb_writers" > /dev/kmsg
