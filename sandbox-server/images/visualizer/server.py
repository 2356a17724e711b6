#!/usr/bin/env python3
"""Swarm Workbench's stand-in for dockersamples/visualizer.

Serves one page on :8080 that draws the swarm (a column per node, a box per task, a colour per
service). The page's drawing code is the same as the workbench's visualizer panel (bundled into
page.js when the image is built). This server only reads the Docker Engine API through the mounted
socket (/var/run/docker.sock), trims the answers and pushes them to the page as Server-Sent Events
whenever the engine reports a change. It never writes to the engine.
"""
import http.client
import http.server
import json
import os
import signal
import socket
import sys
import threading
import time

SOCKET = os.environ.get("DOCKER_SOCKET", "/var/run/docker.sock")
PORT = int(os.environ.get("PORT", "8080"))
HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/page.js": ("page.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, timeout=5):
        super().__init__("localhost", timeout=timeout)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(SOCKET)


def engine(path):
    conn = UnixConnection()
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        body = res.read()
        if res.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {res.status} {body[:200]!r}")
        return json.loads(body)
    finally:
        conn.close()


def pick(obj, *paths):
    """A copy of obj with only the given dotted paths (the page needs little of each answer)."""
    out = {}
    for path in paths:
        src, dst, keys = obj, out, path.split(".")
        for i, key in enumerate(keys):
            if not isinstance(src, dict) or key not in src:
                break
            if i == len(keys) - 1:
                dst[key] = src[key]
            else:
                src = src[key]
                dst = dst.setdefault(key, {})
    return out


def read_cluster():
    """The same shape as RawCluster in contract/visualizer/model.ts."""
    try:
        info = engine("/info")
    except Exception as exc:  # noqa: BLE001 - the page explains it
        return {"source": None, "info": None, "nodes": [], "services": [], "tasks": [],
                "error": f"Cannot reach the Docker Engine at {SOCKET}: {exc}. "
                         "Mount the engine's socket: -v /var/run/docker.sock:/var/run/docker.sock"}
    swarm = info.get("Swarm") or {}
    raw = {"source": info.get("Name"), "info": {"Name": info.get("Name"), "Swarm": pick(swarm, "LocalNodeState", "ControlAvailable", "NodeID", "Error")},
           "nodes": [], "services": [], "tasks": []}
    if swarm.get("LocalNodeState") == "active" and swarm.get("ControlAvailable"):
        raw["nodes"] = [pick(n, "ID", "Spec.Role", "Spec.Availability", "Description.Hostname", "Status", "ManagerStatus.Leader")
                        for n in engine("/nodes")]
        raw["services"] = [pick(s, "ID", "CreatedAt", "Spec.Name", "Spec.Mode", "Spec.TaskTemplate.ContainerSpec.Image",
                                "Spec.TaskTemplate.Placement.Constraints", "Spec.EndpointSpec", "Endpoint.Ports")
                           for s in engine("/services")]
        raw["tasks"] = [pick(t, "ID", "ServiceID", "NodeID", "Slot", "DesiredState", "Spec.ContainerSpec.Image",
                             "Status.State", "Status.Message", "Status.Err", "Status.PortStatus")
                        for t in engine("/tasks") if t.get("DesiredState") in ("running", "ready")]
    return raw


def read_cluster_safely():
    try:
        return read_cluster()
    except Exception as exc:  # noqa: BLE001 - e.g. a swarm without a leader for a moment
        return {"source": None, "info": None, "nodes": [], "services": [], "tasks": [],
                "error": f"The Docker Engine did not answer: {exc}"}


class Hub:
    """Reads the cluster after engine events (debounced) and while tasks converge; wakes the pages."""

    def __init__(self):
        self.cond = threading.Condition()
        self.version = 0
        self.payload = json.dumps(read_cluster_safely())
        self.dirty = threading.Event()

    def refresh(self):
        payload = json.dumps(read_cluster_safely())
        with self.cond:
            if payload != self.payload:
                self.payload = payload
                self.version += 1
                self.cond.notify_all()

    def wait(self, version, timeout):
        with self.cond:
            self.cond.wait_for(lambda: self.version != version, timeout)
            return self.version, self.payload

    def converging(self):
        data = json.loads(self.payload)
        return any(t.get("Status", {}).get("State") != "running" for t in data.get("tasks", []))

    def refresher(self):
        while True:
            woke = self.dirty.wait(1.0 if self.converging() else 10.0)
            if woke:
                time.sleep(0.12)  # events come in bursts
                self.dirty.clear()
            self.refresh()

    def follow_events(self):
        query = '/events?filters={"type":["service","node","container"]}'
        while True:
            try:
                conn = UnixConnection(timeout=None)
                conn.request("GET", query.replace('"', "%22"))
                res = conn.getresponse()
                self.dirty.set()
                while True:
                    line = res.readline()
                    if not line:
                        break
                    self.dirty.set()
            except Exception as exc:  # noqa: BLE001 - no socket yet, engine restarting: retry
                print(f"events: {exc}", file=sys.stderr, flush=True)
            time.sleep(2)


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "swb-visualizer/1"
    hub = None

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in STATIC:
            name, kind = STATIC[path]
            with open(os.path.join(HERE, name), "rb") as f:
                return self.send(200, kind, f.read())
        if path == "/api/state":
            return self.send(200, "application/json", self.hub.payload.encode())
        if path == "/api/events":
            return self.events()
        return self.send(404, "text/plain; charset=utf-8", b"not found\n")

    def send(self, status, kind, body):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def events(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version, payload = -1, None
        try:
            while True:
                new_version, payload = self.hub.wait(version, 15)
                if new_version == version:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    version = new_version
                    self.wfile.write(b"data: " + payload.encode() + b"\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    hub = Hub()
    Handler.hub = hub
    threading.Thread(target=hub.follow_events, daemon=True).start()
    threading.Thread(target=hub.refresher, daemon=True).start()
    server = http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    server.daemon_threads = True
    print(f"visualizer listening on :{PORT}, reading {SOCKET}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
