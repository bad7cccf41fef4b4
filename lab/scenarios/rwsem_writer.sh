# lab-verdict: hung_task
# lab-modules: mapdb
# mapdb.ko: mapdb_commit holds map_rwsem for write and waits on a lost completion;
# mapdb_rd/0..1 and mapctl queue in down_read().
sysctl -w kernel.hung_task_timeout_secs=5 kernel.hung_task_panic=1 kernel.hung_task_warnings=10
modprobe mapdb
sleep 1
vmtool -n mapctl write /proc/mapdb lookup &
