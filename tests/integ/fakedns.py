#!/usr/bin/env python3
"""A fake upstream DNS server for the integration tests (UDP and TCP), in the sandbox only.

usage: fakedns.py ADDR PORT LOGFILE
ext.example A -> 10.99.0.7; big.example A -> 40 addresses, truncated (TC) over UDP, whole
over TCP; anything else NXDOMAIN. Every question asked is appended to LOGFILE.
"""
import socket
import struct
import sys
import threading


def parse_question(msg):
    i, labels = 12, []
    while msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode("ascii", "replace"))
        i += 1 + msg[i]
    qtype, _ = struct.unpack("!HH", msg[i + 1:i + 5])
    return ".".join(labels).lower(), qtype, msg[12:i + 5]


def answer(msg, tcp, log):
    qid, flags = struct.unpack("!HH", msg[:4])
    name, qtype, question = parse_question(msg)
    with open(log, "a") as f:
        f.write(f"{'tcp' if tcp else 'udp'} {name} {qtype}\n")
    addrs, rcode, tc = [], 0, False
    if name == "ext.example" and qtype == 1:
        addrs = ["10.99.0.7"]
    elif name == "big.example" and qtype == 1:
        addrs = [f"10.99.1.{i}" for i in range(1, 41)]
        if not tcp:
            addrs, tc = [], True
    elif name not in ("ext.example", "big.example"):
        rcode = 3
    out = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100) | (0x0200 if tc else 0) | rcode, 1, len(addrs), 0, 0)
    out += question
    for a in addrs:
        out += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(a)
    return out


def serve_udp(addr, port, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        msg, peer = s.recvfrom(4096)
        try:
            s.sendto(answer(msg, False, log), peer)
        except Exception:
            pass


def serve_tcp_conn(c, log):
    with c:
        while True:
            hdr = c.recv(2)
            if len(hdr) < 2:
                return
            n = struct.unpack("!H", hdr)[0]
            msg = b""
            while len(msg) < n:
                part = c.recv(n - len(msg))
                if not part:
                    return
                msg += part
            out = answer(msg, True, log)
            c.sendall(struct.pack("!H", len(out)) + out)


def main():
    addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(16)
    threading.Thread(target=serve_udp, args=(addr, port, log), daemon=True).start()
    print("ready", flush=True)
    while True:
        c, _ = t.accept()
        threading.Thread(target=serve_tcp_conn, args=(c, log), daemon=True).start()


if __name__ == "__main__":
    main()
