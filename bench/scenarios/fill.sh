# Guest scenario for bench/make-big-dumps (sourced by vmlab's /init, busybox ash):
# a busy machine whose RAM is mostly in use, then the sysrq crash.  The lab's
# own scenarios leave a big guest's RAM empty, so a dump of it would not grow
# the way a production dump does.  Shares of MemTotal:
#   slab        ~6%   dentries and inodes of empty files in a tmpfs
#   page cache ~30%   tmpfs files (shmem: page-cache pages that -d 31 drops
#                     as it drops file cache); contents are copies of the
#                     guest's own binaries and modules, so they compress as
#                     real files do, not as zeroes
#   anonymous  ~30%   memhog's heap, the process stopped (state T) to keep it
# The rest stays free, so the kernel never reclaims what was filled.
mem_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
total=$(mem_kb MemTotal)
echo "vmlab: fill start mem_total_kb=$total" > /dev/kmsg
mkdir -p /fill
mount -t tmpfs -o size=90%,nr_inodes=0 fill /fill

# slab: a directory of 10000 empty files costs ~10 MB of dentry+inode slab
mkdir -p /fill/s
d=0
while [ "$(mem_kb Slab)" -lt $((total * 6 / 100)) ]; do
	mkdir /fill/s/$d && (cd /fill/s/$d && seq 1 10000 | xargs touch)
	d=$((d + 1))
done
echo "vmlab: fill slab_kb=$(mem_kb Slab) dirs=$d" > /dev/kmsg

# page cache: a 32 MiB chunk of real binaries, copied until Shmem reaches its share
mkdir -p /fill/c
find /bin/busybox /usr/local/bin/vmtool /lib/modules -type f | xargs cat > /fill/seed
while [ "$(stat -c %s /fill/seed)" -lt 33554432 ]; do
	cat /fill/seed /fill/seed > /fill/seed2 && mv /fill/seed2 /fill/seed
done
n=0
while [ "$(mem_kb Shmem)" -lt $((total * 30 / 100)) ]; do
	cp /fill/seed /fill/c/$n
	n=$((n + 1))
done
echo "vmlab: fill shmem_kb=$(mem_kb Shmem) files=$n" > /dev/kmsg

# anonymous memory: memhog touches 4 MiB chunks; stop it at its share
memhog hog &
hog=$!
while [ "$(mem_kb AnonPages)" -lt $((total * 30 / 100)) ]; do usleep 200000; done
kill -STOP $hog
echo "vmlab: fill anon_kb=$(mem_kb AnonPages) free_kb=$(mem_kb MemFree) pid=$hog comm=memhog state=stopped" > /dev/kmsg

sh -c 'echo "vmlab: task pid=$$ comm=sh op=sysrq-trigger" > /dev/kmsg; sleep 1; echo c > /proc/sysrq-trigger'
