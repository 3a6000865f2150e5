#!/usr/bin/env python3
"""A minimal DNS client for the integration tests: dnsq.py SERVER NAME [TYPE] [--tcp].

Prints "rcode=N tc=0|1" then one answer per line (A, AAAA, PTR); exit 0 when answered.
TYPE: A (default), AAAA, PTR. Without --tcp, a truncated UDP answer is printed as it is.
"""
import socket
import struct
import sys
import random

TYPES = {"A": 1, "AAAA": 28, "PTR": 12}


def name_at(msg, i):
    labels, jumped, end = [], False, i
    while True:
        n = msg[i]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = i + 2
            i, jumped = ((n & 0x3F) << 8) | msg[i + 1], True
            continue
        if n == 0:
            return ".".join(labels), (end if jumped else i + 1)
        labels.append(msg[i + 1:i + 1 + n].decode())
        i += 1 + n


def main():
    args = [a for a in sys.argv[1:] if a != "--tcp"]
    tcp = "--tcp" in sys.argv
    server, name = args[0], args[1]
    qtype = TYPES[args[2]] if len(args) > 2 else 1
    qid = random.randint(0, 65535)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", qtype, 1)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    if tcp:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect((server, 53))
        s.sendall(struct.pack("!H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            part = s.recv(65536)
            if not part:
                break
            buf += part
        msg = buf[2:]
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(q, (server, 53))
        msg = s.recv(65536)
    rid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if rid != qid:
        print("id mismatch")
        return 1
    print(f"rcode={flags & 15} tc={(flags >> 9) & 1}")
    i = 12
    for _ in range(qd):
        _, i = name_at(msg, i)
        i += 4
    for _ in range(an):
        _, i = name_at(msg, i)
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        data = msg[i:i + rdlen]
        if rtype == 1:
            print(socket.inet_ntop(socket.AF_INET, data), f"ttl={ttl}")
        elif rtype == 28:
            print(socket.inet_ntop(socket.AF_INET6, data), f"ttl={ttl}")
        elif rtype == 12:
            print(name_at(msg, i)[0])
        i += rdlen
    return 0


if __name__ == "__main__":
    sys.exit(main())
