package io.capstan.testing;

/**
 * The script of {@link BrowserPlayback}'s generated page (a Java text block, so the test-jar needs no resources).
 * It reads {@code CFG} (mode "src", "mse" or "codecs"), plays, and POSTs its state every 500 ms to
 * {@code /__capstan/state/{id}} and its final report once to {@code /__capstan/result/{id}}.
 *
 * <p>Media events used (HTML Living Standard, "media elements"): {@code loadedmetadata} gives duration and
 * videoWidth/videoHeight; {@code ended} fires when playback reaches the end with no loop; {@code error} sets
 * {@code MediaError.code}. Frame counts come from {@code getVideoPlaybackQuality()} (Media Playback Quality spec) and
 * Chromium's {@code webkitAudioDecodedByteCount}/{@code webkitVideoDecodedByteCount}. MSE: {@code sourceopen},
 * {@code addSourceBuffer}, {@code appendBuffer} + {@code updateend}, {@code endOfStream} (Media Source Extensions).
 */
final class BrowserPlaybackPage {

    private BrowserPlaybackPage() {
    }

    static final String SCRIPT = """
            (function () {
              'use strict';
              const S = {id: CFG.id, mode: CFG.mode, outcome: null, ended: false, events: [], scriptErrors: [],
                         userAgent: navigator.userAgent, rateAsked: CFG.rate};
              const t0 = performance.now();
              let done = false, el = null, ms = null, sbs = [];

              function log(e) {
                S.events.push(Math.round(performance.now() - t0) + 'ms ' + e);
                if (S.events.length > 150) S.events.splice(20, 30);
              }
              function fin(x) { return (typeof x === 'number' && isFinite(x)) ? x : null; }
              function ranges(tr) {
                const out = [];
                if (tr) for (let i = 0; i < tr.length; i++) out.push([tr.start(i), tr.end(i)]);
                return out;
              }
              function snap() {
                S.elapsedMs = Math.round(performance.now() - t0);
                if (!el) return;
                S.duration = fin(el.duration); S.durationText = String(el.duration);
                S.currentTime = el.currentTime;
                S.maxCurrentTime = Math.max(S.maxCurrentTime || 0, el.currentTime);
                S.readyState = el.readyState; S.networkState = el.networkState;
                S.paused = el.paused; S.elementEnded = el.ended; S.playbackRate = el.playbackRate;
                S.buffered = ranges(el.buffered); S.seekable = ranges(el.seekable);
                S.errorCode = el.error ? el.error.code : 0;
                S.errorMessage = el.error ? el.error.message : '';
                if (typeof el.videoWidth === 'number') { S.videoWidth = el.videoWidth; S.videoHeight = el.videoHeight; }
                if (el.getVideoPlaybackQuality) {
                  const q = el.getVideoPlaybackQuality();
                  S.totalVideoFrames = q.totalVideoFrames; S.droppedVideoFrames = q.droppedVideoFrames;
                }
                S.audioDecodedBytes = el.webkitAudioDecodedByteCount;
                S.videoDecodedBytes = el.webkitVideoDecodedByteCount;
                if (ms) {
                  S.mediaSourceReadyState = ms.readyState; S.mediaSourceDuration = fin(ms.duration);
                  S.sourceBuffered = sbs.map(function (sb) {
                    try { return ranges(sb.buffered); } catch (e) { return String(e); }
                  });
                }
              }
              function post(kind) {
                return fetch('/__capstan/' + kind + '/' + CFG.id,
                    {method: 'POST', body: JSON.stringify(S), keepalive: true}).catch(function () {});
              }
              function finish(outcome, settleMs) {
                if (done) return;
                done = true; S.outcome = outcome; log('finish ' + outcome);
                // let the pipeline statistics (decoded frames, bytes) settle before the last snapshot
                setTimeout(function () { snap(); post('result'); }, settleMs === undefined ? 300 : settleMs);
              }
              window.addEventListener('error', function (e) { S.scriptErrors.push(String(e.message)); });
              window.addEventListener('unhandledrejection', function (e) { S.scriptErrors.push(String(e.reason)); });
              setInterval(function () { if (!done) { snap(); post('state'); } }, 500);
              setTimeout(function () { log('page timeout after ' + CFG.timeoutMs + ' ms'); finish('timeout', 0); },
                  CFG.timeoutMs);

              if (CFG.mode === 'codecs') {
                const v = document.createElement('video');
                S.types = {};
                for (const t of CFG.types) {
                  S.types[t] = {canPlayType: v.canPlayType(t),
                                isTypeSupported: !!(window.MediaSource && MediaSource.isTypeSupported(t))};
                }
                finish('codecs', 0);
                return;
              }

              el = document.createElement(CFG.audioOnly ? 'audio' : 'video');
              el.preload = 'auto';
              el.defaultPlaybackRate = CFG.rate;
              document.body.appendChild(el);
              ['loadstart', 'durationchange', 'loadedmetadata', 'loadeddata', 'canplay', 'canplaythrough', 'play',
               'playing', 'waiting', 'stalled', 'seeking', 'seeked', 'pause', 'ended', 'error', 'emptied',
               'ratechange', 'resize', 'abort'].forEach(function (n) {
                el.addEventListener(n, function () {
                  log(n + ' t=' + el.currentTime.toFixed(3) + ' d=' + el.duration
                      + (el.videoWidth ? ' ' + el.videoWidth + 'x' + el.videoHeight : ''));
                });
              });
              el.addEventListener('timeupdate', function () {
                S.maxCurrentTime = Math.max(S.maxCurrentTime || 0, el.currentTime);
              });
              el.addEventListener('loadedmetadata', function () {
                S.durationAtMetadata = fin(el.duration); S.durationAtMetadataText = String(el.duration);
                if (typeof el.videoWidth === 'number') {
                  S.videoWidthAtMetadata = el.videoWidth; S.videoHeightAtMetadata = el.videoHeight;
                }
                try { el.playbackRate = CFG.rate; } catch (e) { S.rateError = String(e); }
                const p = el.play();
                if (p) p.catch(function (e) { S.playError = String(e); log('play() rejected: ' + e); });
              });
              el.addEventListener('ended', function () { S.ended = true; finish('ended'); });
              el.addEventListener('error', function () { snap(); finish('error', 100); });

              if (CFG.mode === 'src') {
                S.canPlayType = el.canPlayType(CFG.type);
                el.src = CFG.src;
                return;
              }

              // Media Source Extensions
              S.canPlayTypes = CFG.tracks.map(function (t) { return el.canPlayType(t.type); });
              S.isTypeSupported = CFG.tracks.map(function (t) {
                return !!(window.MediaSource && MediaSource.isTypeSupported(t.type));
              });
              S.typesSupported = S.isTypeSupported.every(function (x) { return x; });
              if (!S.typesSupported) { finish('unsupported', 0); return; }
              S.segmentsAppended = 0;
              function append(sb, buf, url) {
                return new Promise(function (resolve, reject) {
                  function ok() { sb.removeEventListener('error', bad); resolve(); }
                  function bad() { sb.removeEventListener('updateend', ok); reject(new Error('SourceBuffer error on ' + url)); }
                  sb.addEventListener('updateend', ok, {once: true});
                  sb.addEventListener('error', bad, {once: true});
                  sb.appendBuffer(buf);
                });
              }
              ms = new MediaSource();
              ms.addEventListener('sourceopen', async function () {
                log('sourceopen');
                try {
                  sbs = CFG.tracks.map(function (t) { return ms.addSourceBuffer(t.type); });
                  await Promise.all(CFG.tracks.map(async function (t, i) {
                    for (const url of t.segments) {
                      const resp = await fetch(url);
                      if (!resp.ok) throw new Error(url + ': HTTP ' + resp.status);
                      const buf = await resp.arrayBuffer();
                      await append(sbs[i], buf, url);
                      S.segmentsAppended++;
                      log('appended ' + url + ' (' + buf.byteLength + ' bytes) buffered='
                          + JSON.stringify(ranges(sbs[i].buffered)));
                    }
                  }));
                  S.sourceBufferedAtEndOfStream = sbs.map(function (sb) { return ranges(sb.buffered); });
                  ms.endOfStream();
                  S.mediaSourceDurationAtEndOfStream = fin(ms.duration);
                  log('endOfStream duration=' + ms.duration);
                  if (el.paused && el.readyState >= 1) {
                    el.play().catch(function (e) { S.playError = String(e); });
                  }
                } catch (e) {
                  S.exception = String(e && e.stack ? e.stack : e);
                  snap();
                  finish('exception', 100);
                }
              });
              ms.addEventListener('sourceended', function () { log('sourceended'); });
              ms.addEventListener('sourceclose', function () { log('sourceclose'); });
              el.src = URL.createObjectURL(ms);
            })();
            """;
}
