"""Debian's nginx on a loopback port, running deploy/nginx/dealer-chat.conf unchanged."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.ports import free_port

DEPLOY_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "dealer-chat.conf"

MAIN_CONF = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    include dealer-chat.conf;
}}
"""


class NginxServer:
    def __init__(self, root: Path, port: int, upstream_ports: list[int]) -> None:
        self.root = root
        self.port = port
        self.upstream_ports = upstream_ports
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        conf = self.root / "conf"
        (conf / "dealer-chat").mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)
        (conf / "nginx.conf").write_text(MAIN_CONF.format(root=self.root))
        shutil.copyfile(DEPLOY_CONF, conf / "dealer-chat.conf")
        (conf / "dealer-chat" / "upstreams.conf").write_text(
            "".join(
                f"server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;\n"
                for port in self.upstream_ports
            )
        )
        (conf / "dealer-chat" / "listen.conf").write_text(
            f"listen 127.0.0.1:{self.port};\nserver_name localhost;\n"
        )

    def start(self, timeout: float = 10.0) -> None:
        self.write_config()
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        command = [binary, "-p", str(self.root), "-c", "conf/nginx.conf", "-g", "daemon off;"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=(self.root / "stderr.log").open("ab")
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "stderr.log").read_text())
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def nginx_server(upstream_ports: list[int]) -> Iterator[NginxServer]:
    root = Path(tempfile.mkdtemp(prefix="dealer-chat-nginx-"))
    server = NginxServer(root, free_port(), upstream_ports)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
