import { startTestServer, removeInstance } from '/work/wt-iso/test/helpers/server.ts';
import { Learner } from '/work/wt-iso/test/helpers/learner.ts';
const t0 = Date.now();
const server = await startTestServer('smoke');
console.log('server up', Date.now() - t0);
const l = await Learner.join(server.url);
await l.waitReady();
console.log('ready', Date.now() - t0);
await l.open('t', 'manager');
for (const c of ['id; grep Cap /proc/self/status; cat /proc/self/uid_map', 'docker run --rm flask_app:2.0 echo inner-ok 2>&1 | tail -3', 'df -h /var/lib/docker', 'p=$(cat /proc/sys/kernel/core_pattern); printf "%s\\n" "$p" > /proc/sys/kernel/core_pattern', 'date -s "$(date)"', 'mount -t tracefs nodev /mnt', 'curl -sS -m 3 http://169.254.169.254/ ; curl -sS -m 3 http://1.1.1.1/', 'docker swarm init 2>&1 | head -2']) {
  const r = await l.runWithCode('t', c, 120_000);
  console.log('$', c, '\n', r.output, 'exit', r.code);
}
l.close();
await server.close();
await removeInstance(server.config.SWB_INSTANCE);
