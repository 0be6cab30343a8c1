#!/usr/bin/env python3
"""Helper of make-fixtures.sh (Python 3 standard library only).

  fixtures.py capture --name N --out DIR --ports P1,P2,.. [--gst-sdp] [--meta JSON] -- SENDER COMMAND
      Binds UDP sockets on 127.0.0.1:P1.. , runs the sender (a shell command line), records every datagram
      with its receive time, and writes DIR/N.pcap (classic pcap, microsecond, linktype 1 = Ethernet II / IPv4 /
      UDP, packets in arrival order, the sender's real source ports). With --gst-sdp it writes DIR/N.sdp from
      the caps that `gst-launch-1.0 -v` prints for each `udpsink name=rtpPORT`; otherwise the sender wrote the
      SDP itself (ffmpeg -sdp_file). Then writes DIR/N.truth.json (see analyze()).

  fixtures.py impair --kind KIND --seed S --src DIR/CLEAN --name N --out DIR
      Deterministic (seeded) damage of a clean capture: loss | reorder | duplicate | wrap | ssrc-change |
      garbage. Writes N.pcap, N.sdp (copy of the clean SDP) and N.truth.json with an "impairment" section that
      says exactly what was changed.

  fixtures.py readme-table --dir DIR
      Rewrites the sizes/counts table in DIR/README.md from the truth files.

  fixtures.py analyze --name N --dir DIR
      Re-writes N.truth.json's "observed" part from N.pcap and N.sdp.
"""
import argparse
import json
import os
import random
import re
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import time

PCAP_MAGIC_US = 0xA1B2C3D4


# ----------------------------------------------------------------------------------------------- pcap I/O

class Rec:
    """One captured UDP datagram: receive time (ns since epoch), source/destination port, payload."""
    __slots__ = ("t", "sport", "dport", "data")

    def __init__(self, t, sport, dport, data):
        self.t, self.sport, self.dport, self.data = t, sport, dport, bytes(data)


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def write_pcap(path, recs):
    """Classic pcap, little-endian, microseconds, LINKTYPE_ETHERNET; 127.0.0.1 -> 127.0.0.1."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, 262144, 1))
        for i, r in enumerate(recs):
            udp = struct.pack("!HHHH", r.sport, r.dport, 8 + len(r.data), 0) + r.data  # checksum 0: none (RFC 768)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0x4000, 64, 17, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
            ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
            frame = bytes(6) + bytes(6) + b"\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", r.t // 1_000_000_000, (r.t // 1000) % 1_000_000, len(frame), len(frame)))
            f.write(frame)


def read_pcap(path):
    """Reads what write_pcap wrote (Ethernet/IPv4/UDP, either byte order, us or ns)."""
    recs = []
    with open(path, "rb") as f:
        hdr = f.read(24)
        e = "<" if struct.unpack("<I", hdr[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        nanos = struct.unpack(e + "I", hdr[:4])[0] == 0xA1B23C4D
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                break
            sec, frac, incl, _ = struct.unpack(e + "IIII", rh)
            frame = f.read(incl)
            ihl = (frame[14] & 0x0F) * 4
            u = 14 + ihl
            sport, dport, ulen = struct.unpack("!HHH", frame[u:u + 6])
            recs.append(Rec(sec * 1_000_000_000 + (frac if nanos else frac * 1000), sport, dport,
                            frame[u + 8:u + ulen]))
    return recs


# ----------------------------------------------------------------------------------------------- SDP

def parse_sdp(path):
    """Minimal: [{media, port, pt, encoding, clock, channels, fmtp}] for the first payload type of each m=."""
    streams, cur = [], None
    for line in open(path, encoding="utf-8").read().splitlines():
        line = line.strip()
        if line.startswith("m="):
            t = line[2:].split()
            cur = {"media": t[0], "port": int(t[1]), "pt": int(t[3]), "encoding": None, "clock": None,
                   "channels": None, "fmtp": ""}
            if cur["pt"] == 0:
                cur.update(encoding="PCMU", clock=8000, channels=1)
            streams.append(cur)
        elif cur and line.startswith("a=rtpmap:"):
            pt, enc = line[9:].split(None, 1)
            if int(pt) == cur["pt"]:
                p = enc.split("/")
                cur["encoding"], cur["clock"] = p[0], int(p[1])
                cur["channels"] = int(p[2]) if len(p) > 2 else (1 if cur["media"] == "audio" else None)
        elif cur and line.startswith("a=fmtp:"):
            pt, params = (line[7:].split(None, 1) + [""])[:2]
            if int(pt) == cur["pt"]:
                cur["fmtp"] = params
    return streams


def caps_fields(caps):
    """'application/x-rtp, media=(string)video, a=(string)"x\\,y"' -> {media: video, a: 'x,y'}."""
    fields, i, n = {}, caps.index(",") + 1 if "," in caps else len(caps), len(caps)
    while i < n:
        m = re.compile(r"\s*([\w.-]+)=(?:\([\w]+\))?").match(caps, i)
        if not m:
            break
        key, i = m.group(1), m.end()
        if i < n and caps[i] == '"':
            j, val = i + 1, []
            while j < n and caps[j] != '"':
                if caps[j] == "\\" and j + 1 < n:
                    j += 1
                val.append(caps[j])
                j += 1
            fields[key], i = "".join(val), j + 1
        else:
            j = i
            while j < n and caps[j] != ",":
                if caps[j] == "\\":
                    j += 1
                j += 1
            fields[key], i = caps[i:j].replace("\\,", ",").strip(), j
        while i < n and caps[i] in ", ":
            i += 1
    return fields


def sdp_from_gst_output(name, text, ports):
    """An SDP from the caps gst-launch -v prints for each udpsink named rtpPORT."""
    caps_by_port = {}
    for line in text.splitlines():
        m = re.search(r"GstUDPSink:rtp(\d+)\.GstPad:sink: caps = (application/x-rtp.*)$", line)
        if m:
            caps_by_port[int(m.group(1))] = caps_fields(m.group(2))
    out = ["v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=" + name, "c=IN IP4 127.0.0.1", "t=0 0"]
    skip = {"media", "clock-rate", "encoding-name", "payload", "ssrc", "timestamp-offset", "seqnum-offset",
            "a-framerate", "encoding-params", "rtp-profile", "clock-base", "seqnum-base", "a-ptime",
            "a-maxptime", "x-gst-rtp-seqnum-offset", "extmap-1"}
    for port in ports:
        c = caps_by_port.get(port)
        if not c:
            continue
        pt = int(c["payload"])
        enc = c["encoding-name"]
        if enc.upper() == "OPUS":
            enc = "opus"
        rtpmap = "%s/%s" % (enc, c["clock-rate"])
        if "encoding-params" in c:
            rtpmap += "/" + c["encoding-params"]
        out.append("m=%s %d RTP/AVP %d" % (c["media"], port, pt))
        out.append("a=rtpmap:%d %s" % (pt, rtpmap))
        fmtp = [k + "=" + v for k, v in c.items() if k not in skip]
        if fmtp:
            out.append("a=fmtp:%d %s" % (pt, ";".join(fmtp)))
        if "a-framerate" in c:
            fr = c["a-framerate"]
            out.append("a=framerate:" + (fr.split(".")[0] if re.fullmatch(r"\d+\.0+", fr) else fr))
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------- capture

def capture(args):
    ports = [int(p) for p in args.ports.split(",")]
    cmd = " ".join(args.command)
    for attempt in range(1, 4):
        print("[capture %s] %s" % (args.name, cmd), file=sys.stderr)
        rc, recs, sender_output = capture_once(args, ports, cmd)
        if rc == 0 and recs:
            break
        sys.stderr.write(sender_output[-2000:])
        print("fixtures.py: attempt %d: sender exited with %d, %d datagrams" % (attempt, rc, len(recs)),
              file=sys.stderr)
    else:
        sys.exit("fixtures.py: %s failed 3 times" % args.name)
    write_pcap(os.path.join(args.out, args.name + ".pcap"), recs)
    sdp_path = os.path.join(args.out, args.name + ".sdp")
    if args.gst_sdp:
        with open(sdp_path, "w") as f:
            f.write(sdp_from_gst_output(args.name, sender_output, ports))
    meta = json.loads(args.meta) if args.meta else {}
    truth = {
        "name": args.name,
        "description": meta.pop("description", ""),
        "files": {"pcap": args.name + ".pcap", "sdp": args.name + ".sdp"},
        "generator": {"commands": [cmd], "versions": tool_versions(),
                      "script": "scripts/make-fixtures.sh (scripts/fixtures.py capture)"},
        "capture": {"tool": "scripts/fixtures.py capture: UDP sockets on 127.0.0.1, receive timestamps, "
                            "classic pcap linktype 1 (Ethernet II/IPv4/UDP), microseconds",
                    "address": "127.0.0.1", "ports": ports},
        "streams_sent": meta.pop("streams", []),
    }
    truth.update(meta)
    write_truth(args.out, args.name, truth)


_versions = None


def capture_once(args, ports, cmd):
    """Runs the sender once while recording; returns (exit code, records, sender output)."""
    sel = selectors.DefaultSelector()
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        try:
            s.bind(("127.0.0.1", p))
        except OSError as e:
            sys.exit("fixtures.py: cannot bind udp 127.0.0.1:%d (%s)" % (p, e))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, p)
        socks.append(s)
    log_path = os.path.join(args.out, ".%s.sender.log" % args.name)
    log = open(log_path, "w+")
    proc = subprocess.Popen(cmd, shell=True, cwd=args.out, stdout=log, stderr=subprocess.STDOUT)
    recs, quiet_until = [], None
    while True:
        for key, _ in sel.select(timeout=0.05):
            while True:
                try:
                    data, addr = key.fileobj.recvfrom(65536)
                except BlockingIOError:
                    break
                recs.append(Rec(time.time_ns(), addr[1], key.data, data))
        if proc.poll() is not None:
            if quiet_until is None:
                quiet_until = time.time() + 0.5  # drain what is still in flight
            elif time.time() > quiet_until:
                break
    for s in socks:
        s.close()
    sel.close()
    log.seek(0)
    out = log.read()
    log.close()
    os.unlink(log_path)
    return proc.returncode, recs, out


def tool_versions():
    global _versions
    if _versions is None:
        def first_line(cmd):
            try:
                return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
            except Exception:
                return None
        pk = []
        try:
            q = subprocess.run(["dpkg-query", "-W", "-f", "${Package}=${Version}\\n", "libavcodec59", "libvpx7",
                                "libopus0", "libx264-164", "libx265-199", "gstreamer1.0-plugins-good",
                                "gstreamer1.0-plugins-base", "gstreamer1.0-plugins-bad"],
                               capture_output=True, text=True)
            pk = sorted(l for l in q.stdout.splitlines() if l)
        except Exception:
            pass
        _versions = {"ffmpeg": first_line(["ffmpeg", "-version"]),
                     "gstreamer": first_line(["gst-launch-1.0", "--gst-version"]), "debian_packages": pk}
    return _versions


# ----------------------------------------------------------------------------------------------- analysis

def rtp_header(d):
    """(version, padding, ext, cc, marker, pt, seq, ts, ssrc, payload offset, payload end) or None."""
    if len(d) < 12 or d[0] >> 6 != 2:
        return None
    cc, x, p = d[0] & 0x0F, (d[0] >> 4) & 1, (d[0] >> 5) & 1
    off = 12 + 4 * cc
    if off > len(d):
        return None
    if x:
        if off + 4 > len(d):
            return None
        off += 4 + 4 * struct.unpack("!H", d[off + 2:off + 4])[0]
        if off > len(d):
            return None
    end = len(d)
    if p:
        if end == off or d[-1] == 0 or d[-1] > end - off:
            return None
        end -= d[-1]
    seq, ts, ssrc = struct.unpack("!HII", d[2:12])
    return (2, p, x, cc, d[1] >> 7, d[1] & 0x7F, seq, ts, ssrc, off, end)


def rtcp_packets(d):
    """Yields (pt, bytes) for every packet of a compound RTCP datagram."""
    i = 0
    while i + 4 <= len(d):
        ln = (struct.unpack("!H", d[i + 2:i + 4])[0] + 1) * 4
        yield d[i + 1], d[i:i + ln]
        i += ln


def is_rtcp(d):
    return len(d) >= 8 and d[0] >> 6 == 2 and 192 <= d[1] <= 223


def vp8_keyframe(pl):
    """RFC 7741 section 4.2/4.3: (is start of partition 0, keyframe, width, height)."""
    if not pl:
        return False, False, None, None
    x, s, pid = pl[0] >> 7, (pl[0] >> 4) & 1, pl[0] & 7
    i = 1
    if x:
        ext = pl[1]
        i = 2
        if ext & 0x80:
            i += 2 if pl[i] & 0x80 else 1
        if ext & 0x40:
            i += 1
        if ext & 0x30:
            i += 1
    if not (s and pid == 0) or i >= len(pl):
        return False, False, None, None
    key = (pl[i] & 1) == 0
    if key and len(pl) >= i + 10:
        w, h = struct.unpack("<HH", pl[i + 6:i + 10])
        return True, True, w & 0x3FFF, h & 0x3FFF
    return True, key, None, None


def vp9_info(pl):
    """RFC 9628 section 4.2: (begin of frame, keyframe (P=0 at B), [(w, h)] from the scalability structure)."""
    b0 = pl[0]
    i_, p_, l_, f_, b_, e_, v_ = (b0 >> 7) & 1, (b0 >> 6) & 1, (b0 >> 5) & 1, (b0 >> 4) & 1, (b0 >> 3) & 1, \
        (b0 >> 2) & 1, (b0 >> 1) & 1
    i = 1
    if i_:
        i += 2 if pl[i] & 0x80 else 1
    if l_:
        i += 1 if f_ else 2
    if f_ and p_:
        while True:
            n = pl[i] & 1
            i += 1
            if not n:
                break
    res = []
    if v_:
        ns, y, g = (pl[i] >> 5) + 1, (pl[i] >> 4) & 1, (pl[i] >> 3) & 1
        i += 1
        if y:
            for _ in range(ns):
                res.append(struct.unpack("!HH", pl[i:i + 4]))
                i += 4
    return bool(b_), bool(b_ and not p_), res


def analyze_stream(recs, s, t0):
    port, enc = s["port"], (s["encoding"] or "").upper()
    pkts = [r for r in recs if r.dport == port]
    hs = [(r, rtp_header(r.data)) for r in pkts]
    valid = [(r, h) for r, h in hs if h is not None and h[5] == s["pt"]]
    o = {"rtp_port": port, "payload_type": s["pt"], "encoding": s["encoding"], "clock_rate": s["clock"],
         "datagrams": len(pkts), "rtp_packets": len(valid), "invalid_datagrams": len(pkts) - len(valid)}
    if not valid:
        return o
    ssrcs = []
    for _, h in valid:
        if h[8] not in ssrcs:
            ssrcs.append(h[8])
    o["ssrcs"] = ssrcs
    per_ssrc = []
    for ssrc in ssrcs:
        vs = [(r, h) for r, h in valid if h[8] == ssrc]
        seqs = [h[6] for _, h in vs]
        # unwrap for counting
        ext, last, cycles, unwrapped = [], None, 0, []
        for q in seqs:
            if last is not None and q < last and last - q > 0x8000:
                cycles += 1
            elif last is not None and q > last and q - last > 0x8000:
                cycles -= 1  # late packet from before a wrap
            unwrapped.append(cycles * 65536 + q)
            last = q
        seen, dups, reord, highest = set(), 0, 0, None
        for u in unwrapped:
            if u in seen:
                dups += 1
                continue
            seen.add(u)
            if highest is not None and u < highest:
                reord += 1
            highest = u if highest is None else max(highest, u)
        expected = max(unwrapped) - min(unwrapped) + 1
        tss = [h[7] for _, h in vs]
        ts_wraps = sum(1 for a, b in zip(tss, tss[1:]) if b < a and a - b > 0x80000000)
        seq_wraps = sum(1 for a, b in zip(seqs, seqs[1:]) if b < a and a - b > 0x8000)
        e = {"ssrc": ssrc, "packets": len(vs), "first_seq": seqs[0], "last_seq": seqs[-1],
             "first_ts": tss[0], "last_ts": tss[-1], "seq_wraps": seq_wraps, "ts_wraps": ts_wraps,
             "expected_packets": expected, "lost_packets": expected - len(seen), "duplicates": dups,
             "reordered": reord, "markers": sum(h[4] for _, h in vs), "distinct_timestamps": len(set(tss)),
             "payload_bytes": sum(h[10] - h[9] for _, h in vs),
             "first_time_s": round((vs[0][0].t - t0) / 1e9, 6), "last_time_s": round((vs[-1][0].t - t0) / 1e9, 6)}
        codec = {}
        if enc == "VP8":
            kf, res = [], []
            for r, h in vs:
                start, key, w, hh = vp8_keyframe(r.data[h[9]:h[10]])
                if key:
                    kf.append(h[7])
                    if w:
                        res.append([w, hh])
            codec = {"keyframes": len(kf), "keyframe_rtp_ts": kf, "resolutions": unique(res)}
        elif enc == "VP9":
            kf, res = [], []
            for r, h in vs:
                begin, key, rs = vp9_info(r.data[h[9]:h[10]])
                if key:
                    kf.append(h[7])
                res += [list(x) for x in rs]
            codec = {"keyframes": len(kf), "keyframe_rtp_ts": kf, "resolutions": unique(res)}
        elif enc == "H264":
            kinds = {"single_nal": 0, "stap_a": 0, "fu_a": 0}
            nal_types, idr_ts = {}, []
            for r, h in vs:
                pl = r.data[h[9]:h[10]]
                t = pl[0] & 0x1F
                types = []
                if t == 24:
                    kinds["stap_a"] += 1
                    i = 1
                    while i + 2 <= len(pl):
                        n = struct.unpack("!H", pl[i:i + 2])[0]
                        types.append(pl[i + 2] & 0x1F)
                        i += 2 + n
                elif t == 28:
                    kinds["fu_a"] += 1
                    if pl[1] & 0x80:
                        types.append(pl[1] & 0x1F)
                else:
                    kinds["single_nal"] += 1
                    types.append(t)
                for nt in types:
                    nal_types[str(nt)] = nal_types.get(str(nt), 0) + 1
                    if nt == 5 and (not idr_ts or idr_ts[-1] != h[7]):
                        idr_ts.append(h[7])
            codec = dict(kinds, nal_types=dict(sorted(nal_types.items(), key=lambda x: int(x[0]))),
                         keyframes=len(idr_ts), keyframe_rtp_ts=idr_ts)
        elif enc == "H265":
            # RFC 7798: PayloadHdr type (bits 1-6 of the first byte); AP 48 (16-bit sizes), FU 49 (FU header S bit)
            kinds = {"single_nal": 0, "ap": 0, "fu": 0, "other": 0}
            nal_types, irap_ts = {}, []
            for r, h in vs:
                pl = r.data[h[9]:h[10]]
                t = (pl[0] >> 1) & 0x3F
                types = []
                if t == 48:
                    kinds["ap"] += 1
                    i = 2
                    while i + 2 <= len(pl):
                        n = struct.unpack("!H", pl[i:i + 2])[0]
                        types.append((pl[i + 2] >> 1) & 0x3F)
                        i += 2 + n
                elif t == 49:
                    kinds["fu"] += 1
                    if pl[2] & 0x80:
                        types.append(pl[2] & 0x3F)
                elif t < 48:
                    kinds["single_nal"] += 1
                    types.append(t)
                else:
                    kinds["other"] += 1
                for nt in types:
                    nal_types[str(nt)] = nal_types.get(str(nt), 0) + 1
                    if 16 <= nt <= 23 and (not irap_ts or irap_ts[-1] != h[7]):
                        irap_ts.append(h[7])
            codec = dict(kinds, nal_types=dict(sorted(nal_types.items(), key=lambda x: int(x[0]))),
                         keyframes=len(irap_ts), keyframe_rtp_ts=irap_ts)
        elif enc == "MPEG4-GENERIC":
            aus = 0
            for r, h in vs:
                pl = r.data[h[9]:h[10]]
                aus += struct.unpack("!H", pl[:2])[0] // 16  # AU-headers-length in bits, 16 bits per header
            codec = {"access_units": aus}
        elif enc == "OPUS":
            in_order = [ts for _, ts in sorted(dict(zip(unwrapped, tss)).items())]  # by seq, duplicates once
            d = [(b - a) % (1 << 32) for a, b in zip(in_order, in_order[1:])]
            codec = {"ts_gaps_over_20ms": sum(1 for x in d if x > 960), "max_ts_gap": max(d) if d else 0}
        elif enc == "PCMU":
            codec = {"samples": e["payload_bytes"]}
        if s["media"] == "video":
            codec["frames"] = len(set(tss))
        e["codec"] = codec
        per_ssrc.append(e)
    o["per_ssrc"] = per_ssrc
    # RTCP on port + 1
    rt = [r for r in recs if r.dport == port + 1]
    srs, counts = [], {"sr": 0, "rr": 0, "sdes": 0, "bye": 0, "other": 0}
    for r in rt:
        if not is_rtcp(r.data):
            continue
        for pt, p in rtcp_packets(r.data):
            k = {200: "sr", 201: "rr", 202: "sdes", 203: "bye"}.get(pt, "other")
            counts[k] += 1
            if pt == 200 and len(p) >= 28:
                ssrc, nh, nl, rts, pc, oc = struct.unpack("!IIIIII", p[4:28])
                srs.append({"t_s": round((r.t - t0) / 1e9, 6), "ssrc": ssrc, "ntp": nh + nl / 2 ** 32,
                            "ntp_hex": "%08x%08x" % (nh, nl), "rtp_ts": rts, "packet_count": pc, "octet_count": oc})
    o["rtcp"] = {"port": port + 1, "datagrams": len(rt), **counts, "sender_reports": srs}
    return o


def unique(lst):
    out = []
    for x in lst:
        if x not in out:
            out.append(x)
    return out


def analyze(out_dir, name):
    recs = read_pcap(os.path.join(out_dir, name + ".pcap"))
    sdp = parse_sdp(os.path.join(out_dir, name + ".sdp"))
    t0 = recs[0].t
    per_port = {}
    for r in recs:
        per_port[str(r.dport)] = per_port.get(str(r.dport), 0) + 1
    return {"packets": len(recs), "duration_s": round((recs[-1].t - t0) / 1e9, 6),
            "datagrams_per_port": dict(sorted(per_port.items())),
            "streams": [analyze_stream(recs, s, t0) for s in sdp]}


def write_truth(out_dir, name, truth):
    truth["observed"] = analyze(out_dir, name)
    with open(os.path.join(out_dir, name + ".truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")


# ----------------------------------------------------------------------------------------------- impairments

def rtp_index(recs, port):
    return [i for i, r in enumerate(recs) if r.dport == port and rtp_header(r.data)]


def impair(args):
    src_dir, src_name = os.path.split(args.src)
    recs = read_pcap(args.src + ".pcap")
    sdp = parse_sdp(args.src + ".sdp")
    rnd = random.Random(args.seed)
    video = next(s for s in sdp if s["media"] == "video")
    rtp_ports = [s["port"] for s in sdp]
    info = {"kind": args.kind, "seed": args.seed, "source": src_name}
    if args.kind == "loss":
        drop = set()
        # a middle fragment of the 2nd keyframe (RFC 7741: S=1, PID=0, P=0 opens a keyframe)
        vid = rtp_index(recs, video["port"])
        kf_ts = [rtp_header(recs[i].data)[7] for i in vid
                 if vp8_keyframe(recs[i].data[rtp_header(recs[i].data)[9]:])[1]]
        target_ts = kf_ts[1]
        frag = [i for i in vid if rtp_header(recs[i].data)[7] == target_ts]
        assert len(frag) >= 3, "keyframe too small to lose a middle fragment"
        kf_drop = frag[len(frag) // 2]
        drop.add(kf_drop)
        for port in rtp_ports:
            idx = rtp_index(recs, port)
            for i in rnd.sample(idx[5:-5], max(2, len(idx) * 3 // 100)):
                drop.add(i)
        out = [r for i, r in enumerate(recs) if i not in drop]
        info["keyframe_fragment_dropped"] = {"port": video["port"], "seq": rtp_header(recs[kf_drop].data)[6],
                                             "rtp_ts": target_ts, "fragment": frag.index(kf_drop),
                                             "fragments_in_frame": len(frag)}
        info["dropped"] = {str(p): sorted(rtp_header(recs[i].data)[6] for i in drop if recs[i].dport == p)
                           for p in rtp_ports}
        info["dropped_count"] = len(drop)
    elif args.kind == "reorder":
        out = list(recs)
        moved = {}
        for port in rtp_ports:
            idx = rtp_index(out, port)
            picks = sorted(rnd.sample(range(2, len(idx) - 4), len(idx) * 5 // 100))
            taken = set()
            for k in picks:
                if k in taken or k + 1 in taken:
                    continue
                d = rnd.randint(1, 3)
                if any(k + j in taken for j in range(d + 1)) or k + d >= len(idx) - 1:
                    continue
                # the packet at k arrives after the next d packets of the same port; arrival time slots stay
                pos = [idx[k + j] for j in range(d + 1)]
                items = [out[p] for p in pos]
                late = items[0]
                new = items[1:] + [late]
                times = [it.t for it in items]
                for p, it, t in zip(pos, new, times):
                    out[p] = Rec(t, it.sport, it.dport, it.data)
                moved.setdefault(str(port), []).append({"seq": rtp_header(late.data)[6], "delayed_by_packets": d})
                taken.update(k + j for j in range(d + 1))
        info["reordered"] = moved
        info["reordered_count"] = sum(len(v) for v in moved.values())
    elif args.kind == "duplicate":
        out = list(recs)
        dup = {}
        for port in rtp_ports:
            idx = rtp_index(recs, port)
            for k in sorted(rnd.sample(range(1, len(idx) - 6), len(idx) * 3 // 100)):
                dup.setdefault(str(port), []).append((idx[k], idx[k + rnd.randint(0, 5)]))
        inserts = {}
        for port, pairs in dup.items():
            for orig, after in pairs:
                inserts.setdefault(after, []).append(recs[orig])
        out = []
        for i, r in enumerate(recs):
            out.append(r)
            for d in inserts.get(i, []):
                out.append(Rec(r.t + 1000, d.sport, d.dport, d.data))
        info["duplicated"] = {p: sorted(rtp_header(recs[o].data)[6] for o, _ in v) for p, v in dup.items()}
        info["duplicated_count"] = sum(len(v) for v in dup.values())
    elif args.kind == "wrap":
        out = [Rec(r.t, r.sport, r.dport, r.data) for r in recs]
        streams = {}
        for port in rtp_ports:
            idx = rtp_index(recs, port)
            first = rtp_header(recs[idx[0]].data)
            n = len(idx)
            # sequence numbers wrap after a third of the packets, timestamps after two thirds
            seq_off = (65536 - (n // 3) - first[6]) % 65536
            ts_k = rtp_header(recs[idx[2 * n // 3]].data)[7]
            ts_off = (2 ** 32 - (ts_k - first[7]) % 2 ** 32 - first[7]) % 2 ** 32
            for i in idx:
                d = bytearray(out[i].data)
                h = rtp_header(d)
                struct.pack_into("!HI", d, 2, (h[6] + seq_off) % 65536, (h[7] + ts_off) % 2 ** 32)
                out[i].data = bytes(d)
            streams[first[8]] = ts_off
            info.setdefault("streams", {})[str(port)] = {
                "ssrc": first[8], "seq_offset": seq_off, "ts_offset": ts_off,
                "seq_wraps_after_packet": n // 3, "ts_wraps_at_packet_index": 2 * n // 3}
        info["rtcp_sr_rewritten"] = rewrite_sr(out, {ssrc: (ssrc, off) for ssrc, off in streams.items()}, 0)
        info["rtcp_note"] = "every SR RTP timestamp is shifted by its stream's ts_offset, so NTP<->RTP stays consistent"
    elif args.kind == "ssrc-change":
        out = [Rec(r.t, r.sport, r.dport, r.data) for r in recs]
        # a restarting sender starts over with a keyframe: switch at the video keyframe nearest the middle
        middle = recs[0].t + (recs[-1].t - recs[0].t) // 2
        vid = rtp_index(recs, video["port"])
        kf_first = []
        for i in vid:
            h = rtp_header(recs[i].data)
            if vp8_keyframe(recs[i].data[h[9]:h[10]])[1]:
                kf_first.append(i)
        kf_first = [i for i in kf_first if i != vid[0]]
        t_switch = min((recs[i].t for i in kf_first), key=lambda t: abs(t - middle))
        mapping = {}
        for port in rtp_ports:
            idx = [i for i in rtp_index(recs, port) if recs[i].t >= t_switch]
            h0 = rtp_header(recs[idx[0]].data)
            new_ssrc = rnd.getrandbits(32)
            new_seq, new_ts = rnd.getrandbits(16), rnd.getrandbits(32)
            seq_off = (new_seq - h0[6]) % 65536
            ts_off = (new_ts - h0[7]) % 2 ** 32
            for i in idx:
                d = bytearray(out[i].data)
                h = rtp_header(d)
                struct.pack_into("!HII", d, 2, (h[6] + seq_off) % 65536, (h[7] + ts_off) % 2 ** 32, new_ssrc)
                out[i].data = bytes(d)
            mapping[h0[8]] = (new_ssrc, ts_off)
            info.setdefault("streams", {})[str(port)] = {
                "old_ssrc": h0[8], "new_ssrc": new_ssrc, "switch_time_s": round((t_switch - recs[0].t) / 1e9, 6),
                "packets_before": len(rtp_index(recs, port)) - len(idx), "packets_after": len(idx),
                "first_new": {"seq": new_seq, "rtp_ts": new_ts, "old_seq": h0[6], "old_rtp_ts": h0[7]}}
        info["switch_at"] = "the first packet of the video keyframe nearest the middle of the capture; audio " \
                            "switches at the same receive time"
        info["rtcp_rewritten_after_switch"] = rewrite_sr(out, mapping, t_switch)
        info["rtcp_note"] = "RTCP sent at or after the switch carries the new SSRC (SR/RR sender, SDES chunks, BYE) " \
                            "and SR RTP timestamps shifted like the RTP timestamps; SR packet/octet counts are not reset"
    elif args.kind == "garbage":
        kinds = ["short", "version1", "bad_padding", "csrc_overrun", "extension_overrun", "random"]
        garbage = []
        for port in rtp_ports:
            idx = rtp_index(recs, port)
            for kind in kinds:
                for _ in range(3):
                    garbage.append((rnd.choice(idx[1:]), port, kind, make_garbage(kind, rnd)))
        inserts = {}
        for at, port, kind, data in garbage:
            inserts.setdefault(at, []).append((port, data))
        out = []
        for i, r in enumerate(recs):
            for port, data in inserts.get(i, []):
                out.append(Rec(r.t - 1000, 40000, port, data))
            out.append(r)
        info["garbage"] = {str(p): {k: sum(1 for g in garbage if g[1] == p and g[2] == k) for k in kinds}
                           for p in rtp_ports}
        info["garbage_count"] = len(garbage)
        info["garbage_kinds"] = {
            "short": "1-11 bytes, shorter than the RTP fixed header",
            "version1": "a well-formed header with V=1",
            "bad_padding": "P=1 and a padding count larger than the payload",
            "csrc_overrun": "CC=15 in a 20-byte packet",
            "extension_overrun": "X=1 with an extension length past the end",
            "random": "random bytes whose first two bits are never 10 (V=2), 12-200 bytes"}
    else:
        sys.exit("unknown impairment " + args.kind)
    write_pcap(os.path.join(args.out, args.name + ".pcap"), out)
    shutil.copyfile(args.src + ".sdp", os.path.join(args.out, args.name + ".sdp"))
    src_truth = json.load(open(args.src + ".truth.json"))
    truth = {"name": args.name,
             "description": "%s with deterministic damage: %s (seed %d)" % (src_name, args.kind, args.seed),
             "files": {"pcap": args.name + ".pcap", "sdp": args.name + ".sdp"},
             "generator": {"commands": ["scripts/fixtures.py impair --kind %s --seed %d --src %s --name %s"
                                        % (args.kind, args.seed, src_name, args.name)],
                           "source_generator": src_truth["generator"]},
             "streams_sent": src_truth.get("streams_sent", []),
             "impairment": info}
    write_truth(args.out, args.name, truth)


def make_garbage(kind, rnd):
    hdr = struct.pack("!BBHII", 0x80, 96, rnd.getrandbits(16), rnd.getrandbits(32), rnd.getrandbits(32))
    if kind == "short":
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 11)))
    if kind == "version1":
        return bytes([0x40]) + hdr[1:] + bytes(20)
    if kind == "bad_padding":
        return bytes([0xA0]) + hdr[1:] + bytes(7) + bytes([200])
    if kind == "csrc_overrun":
        return bytes([0x8F]) + hdr[1:] + bytes(8)
    if kind == "extension_overrun":
        return bytes([0x90]) + hdr[1:] + struct.pack("!HH", 0xBEDE, 100) + bytes(8)
    d = bytearray(rnd.getrandbits(8) for _ in range(rnd.randint(12, 200)))
    d[0] = (d[0] & 0x3F) | rnd.choice([0x00, 0x40, 0xC0])
    return bytes(d)


def rewrite_sr(recs, mapping, t_from):
    """For RTCP sent at or after t_from: SSRC old -> new (SR sender, SDES chunks, BYE) and SR RTP ts += offset.
    Returns how many RTCP packets (not datagrams) were changed."""
    changed = 0
    for r in recs:
        if r.t < t_from or not is_rtcp(r.data):
            continue
        d = bytearray(r.data)
        i = 0
        while i + 8 <= len(d):
            pt, ln, sc = d[i + 1], (struct.unpack("!H", d[i + 2:i + 4])[0] + 1) * 4, d[i] & 0x1F
            if pt in (200, 201):
                old = struct.unpack("!I", d[i + 4:i + 8])[0]
                if old in mapping:
                    changed += 1
                    struct.pack_into("!I", d, i + 4, mapping[old][0])
                    if pt == 200:
                        rts = struct.unpack("!I", d[i + 16:i + 20])[0]
                        struct.pack_into("!I", d, i + 16, (rts + mapping[old][1]) % 2 ** 32)
            elif pt == 202:
                j = i + 4
                for _ in range(sc):
                    old = struct.unpack("!I", d[j:j + 4])[0]
                    if old in mapping:
                        changed += 1
                        struct.pack_into("!I", d, j, mapping[old][0])
                    j += 4
                    while j < i + ln and d[j] != 0:
                        j += 2 + d[j + 1]
                    j = (j + 4) & ~3  # null terminator, padded to 32 bits
            elif pt == 203:
                for k in range(sc):
                    old = struct.unpack("!I", d[i + 4 + 4 * k:i + 8 + 4 * k])[0]
                    if old in mapping:
                        changed += 1
                        struct.pack_into("!I", d, i + 4 + 4 * k, mapping[old][0])
            i += ln
        r.data = bytes(d)
    return changed


def readme_table(out_dir):
    """Rewrites the 'Sizes and datagram counts' table of DIR/README.md from the truth files."""
    rows = ["| name | pcap KiB | datagrams per destination port | datagrams |", "|---|---|---|---|"]
    for f in sorted(x for x in os.listdir(out_dir) if x.endswith(".truth.json")):
        d = json.load(open(os.path.join(out_dir, f)))
        n, o = d["name"], d["observed"]
        rows.append("| `%s` | %d | %s | %d |" % (n, os.path.getsize(os.path.join(out_dir, n + ".pcap")) // 1024,
                    ", ".join("%s: %d" % kv for kv in o["datagrams_per_port"].items()), o["packets"]))
    path = os.path.join(out_dir, "README.md")
    text = open(path).read()
    start = text.index("| name | pcap KiB |")
    end = text.index("\n\n", start)
    open(path, "w").write(text[:start] + "\n".join(rows) + text[end:])


# ----------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--name", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--ports", required=True)
    c.add_argument("--gst-sdp", action="store_true")
    c.add_argument("--meta")
    c.add_argument("command", nargs=argparse.REMAINDER)
    i = sub.add_parser("impair")
    i.add_argument("--kind", required=True)
    i.add_argument("--seed", type=int, required=True)
    i.add_argument("--src", required=True)
    i.add_argument("--name", required=True)
    i.add_argument("--out", required=True)
    t = sub.add_parser("readme-table")
    t.add_argument("--dir", required=True)
    a = sub.add_parser("analyze")
    a.add_argument("--name", required=True)
    a.add_argument("--dir", required=True)
    args = ap.parse_args()
    if args.cmd == "capture":
        if args.command and args.command[0] == "--":
            args.command = args.command[1:]
        capture(args)
    elif args.cmd == "impair":
        impair(args)
    elif args.cmd == "readme-table":
        readme_table(args.dir)
    else:
        path = os.path.join(args.dir, args.name + ".truth.json")
        t = json.load(open(path))
        write_truth(args.dir, args.name, t)


if __name__ == "__main__":
    main()
