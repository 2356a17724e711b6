"""A tiny Flask app for the Swarm Workbench lessons.

It reads the rows of the `messages` table (created by init.sql) from the `database` service and
shows which container answered, so you can watch a swarm spread requests over replicas.
Settings come from environment variables; the defaults match the lesson's .env file.
"""
import html
import os
import socket
import traceback

import MySQLdb
from flask import Flask, jsonify

APP_VERSION = os.environ.get("APP_VERSION", "dev")
DB_HOST = os.environ.get("DB_HOST", "database")  # the database service's name
DB_PORT = int(os.environ.get("DB_PORT", "3306"))
DB_NAME = os.environ.get("MYSQL_DATABASE", "workbench")
DB_USER = os.environ.get("MYSQL_USER", "workbench")
DB_PASSWORD = os.environ.get("MYSQL_PASSWORD", "workbench")

# 2.0 and 3.0 look different so a rolling update is easy to see.
ACCENT = {"2.0": "#2f6fde", "3.0": "#1d8a4e"}.get(APP_VERSION, "#7a4bd1")

app = Flask(__name__)


def fetch_messages():
    conn = MySQLdb.connect(host=DB_HOST, port=DB_PORT, user=DB_USER, passwd=DB_PASSWORD,
                           db=DB_NAME, connect_timeout=5, charset="utf8mb4")
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, body FROM messages ORDER BY id")
        return cur.fetchall()
    finally:
        conn.close()


def exception_name(exc):
    """`MySQLdb.OperationalError` rather than the private `MySQLdb._exceptions.OperationalError`
    when the package exports the class under its public name."""
    cls = type(exc)
    package = cls.__module__.split(".")[0]
    module = __import__(package)
    if getattr(module, cls.__name__, None) is cls:
        return f"{package}.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def page(body):
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flask app {APP_VERSION}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }}
  h1 {{ color: {ACCENT}; }}
  .badge {{ background: {ACCENT}; color: #fff; border-radius: 4px; padding: 0 .4em; }}
  pre {{ background: #fbeaea; border: 1px solid #d66; padding: 1em; white-space: pre-wrap; }}
  td, th {{ border-bottom: 1px solid #ddd; padding: .3em .8em; text-align: left; }}
</style></head><body>
<h1>Flask app <span class="badge">v{APP_VERSION}</span></h1>
<p>Served by container <strong>{html.escape(socket.gethostname())}</strong></p>
{body}
</body></html>"""


@app.route("/")
def index():
    try:
        rows = fetch_messages()
    except MySQLdb.Error as exc:
        # Show the real driver error, as a plain Flask app in debug mode would.
        traceback.print_exc()
        text = f"{exception_name(exc)}: {exc}"
        return page(f"<h2>Database error</h2>\n<pre>{html.escape(text)}</pre>"), 500
    items = "\n".join(f"<tr><td>{i}</td><td>{html.escape(body)}</td></tr>" for i, body in rows)
    return page(f"<h2>Messages from {html.escape(DB_HOST)}</h2>\n"
                f"<table><tr><th>id</th><th>body</th></tr>\n{items}\n</table>")


@app.route("/health")
def health():
    # Does not touch the database: answers as soon as the web server runs.
    return jsonify(status="ok", version=APP_VERSION, hostname=socket.gethostname())


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
