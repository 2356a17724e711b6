#!/bin/sh
# Prepares this container to run a Docker Engine inside it, then runs the command (dockerd ...).
set -eu

# A restarted node keeps its filesystem: stale pid files and sockets would stop dockerd/containerd.
rm -f /var/run/docker.pid /var/run/docker.sock /var/run/docker/containerd/containerd.pid \
      /var/run/docker/containerd/containerd.sock

# Some tools look for securityfs; mounting it is allowed when the node has CAP_SYS_ADMIN.
if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security; then
  mount -t securityfs none /sys/kernel/security 2>/dev/null || true
fi

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2 (private cgroup namespace): a group with processes cannot delegate controllers, so
  # move ourselves into a leaf first and enable every controller for the nested containers.
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers \
    > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
else
  # cgroup v1: without --privileged the per-controller mounts are read-only; dockerd must write them.
  awk '$5 ~ "^/sys/fs/cgroup" && $6 ~ /^ro/ { print $5 }' /proc/self/mountinfo | while read -r m; do
    mount -o remount,bind,rw "$m" 2>/dev/null || mount -o remount,rw "$m" 2>/dev/null || true
  done
fi

exec "$@"
