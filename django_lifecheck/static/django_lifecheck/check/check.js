/*
 * django-lifecheck H5 check page.
 *
 * Plain ES2017, no build, no dependencies: it has to run in iOS Safari, Android Chrome
 * and in-app browsers such as WeChat's. The server renders every screen and every
 * string (already translated) and passes the challenge in <script id="lc-config">;
 * this script only moves between screens, films the face while showing the prompts
 * and colours, and uploads the frames once.
 *
 * The <body> mirrors what is on screen in data attributes (data-screen, data-prompt,
 * data-flash-color) so that automated browser tests can drive a simulated camera.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("lc-config");
  if (!configElement) {
    return;
  }
  var cfg = JSON.parse(configElement.textContent);
  var S = cfg.strings || {};
  var body = document.body;
  var video = document.getElementById("lc-video");
  var el = {
    prompt: document.getElementById("lc-prompt"),
    hint: document.getElementById("lc-hint"),
    progress: document.getElementById("lc-progress"),
    countdown: document.getElementById("lc-countdown"),
    bar: document.getElementById("lc-bar-fill"),
    processingText: document.getElementById("lc-processing-text"),
    errorText: document.getElementById("lc-error-text"),
  };
  var limits = cfg.limits || {};
  var timing = cfg.timing || {};
  var MAX_FRAMES = limits.max_frames || 90;
  var MAX_FRAME_BYTES = limits.max_frame_bytes || 300 * 1024;
  var MAX_UPLOAD_BYTES = limits.max_upload_bytes || 12 * 1024 * 1024;
  var FRAME_LONG_SIDE = 640;
  var PROBE_WIDTH = 160;
  var FACE_WAIT_MS = 15000; // start anyway after this: the engine has the last word
  // Report a timeout shortly before the token expires (after that, nothing is accepted).
  var PAGE_TIMEOUT_MS = cfg.expires_in_ms ? Math.max(cfg.expires_in_ms - 15000, 5000) : 540000;

  var stream = null;
  var runId = 0; // bumped to abandon a capture (tab hidden, camera lost)
  var capturing = false;
  var submitted = false;
  var probe = { timer: null, busy: false, faces: null, failures: 0, okStreak: 0 };
  var pendingUpload = null; // FormData kept for "Try again"
  var retryCapture = false; // "Try again" films again (the upload was refused) or re-sends
  var pageStart = now();

  function now() {
    return window.performance && performance.now ? performance.now() : Date.now();
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function nextPaint() {
    return new Promise(function (resolve) {
      var raf = window.requestAnimationFrame || function (cb) { return setTimeout(cb, 16); };
      raf(function () { resolve(); });
    });
  }

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function setText(node, text) {
    if (node && node.textContent !== text) {
      node.textContent = text;
    }
  }

  /* ---------------------------------------------------------------- screens */

  function show(name) {
    var screens = document.querySelectorAll(".lc-screen");
    for (var i = 0; i < screens.length; i++) {
      screens[i].hidden = screens[i].id !== "lc-screen-" + name;
    }
    body.setAttribute("data-screen", name);
    var heading = document.querySelector("#lc-screen-" + name + " h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      try { heading.focus({ preventScroll: true }); } catch (e) { heading.focus(); }
    }
    window.scrollTo(0, 0);
  }

  function setPrompt(action, text) {
    body.setAttribute("data-prompt", action || "");
    setText(el.prompt, text || "");
  }

  function setFlash(color) {
    body.setAttribute("data-flash-color", color || "");
    body.style.backgroundColor = color || "";
    body.classList.toggle("lc-flashing", Boolean(color));
    body.classList.toggle("lc-flash-light", Boolean(color) && isLight(color));
  }

  function isLight(hex) {
    var n = parseInt(hex.slice(1), 16);
    var r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    return 0.299 * r + 0.587 * g + 0.114 * b > 140;
  }

  function showError(text) {
    setText(el.errorText, text);
    show("error");
  }

  /* ---------------------------------------------------------------- network */

  function post(url, form) {
    return fetch(url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": cfg.csrf_token || "" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  function tokenForm() {
    var form = new FormData();
    form.append("token", cfg.token);
    return form;
  }

  function leave(url) {
    setText(el.processingText, S.redirecting);
    window.location.replace(url);
  }

  /** Ends the check as failed (203) for a reason the person or the browser gave. */
  async function giveUp(reason) {
    submitted = true;
    stopCamera();
    show("processing");
    var form = tokenForm();
    form.append("reason", reason);
    try {
      var answer = await post(cfg.urls.fail, form);
      if (answer.data && answer.data.redirect) {
        leave(answer.data.redirect);
        return;
      }
    } catch (e) {
      /* fall through to polling: the status tells where to go */
    }
    pollStatus();
  }

  /* ---------------------------------------------------------------- camera */

  function legacyGetUserMedia() {
    var old = navigator.getUserMedia || navigator.webkitGetUserMedia || navigator.mozGetUserMedia;
    if (!old) {
      return null;
    }
    return function (constraints) {
      return new Promise(function (resolve, reject) { old.call(navigator, constraints, resolve, reject); });
    };
  }

  function cameraApi() {
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      return function (constraints) { return navigator.mediaDevices.getUserMedia(constraints); };
    }
    return legacyGetUserMedia();
  }

  async function openStream(getUserMedia) {
    var attempts = [
      { audio: false, video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } } },
      { audio: false, video: { facingMode: "user" } },
      { audio: false, video: true },
    ];
    var lastError = null;
    for (var i = 0; i < attempts.length; i++) {
      try {
        return await getUserMedia(attempts[i]);
      } catch (error) {
        lastError = error;
        var name = error && error.name;
        if (name !== "OverconstrainedError" && name !== "ConstraintNotSatisfiedError") {
          throw error;
        }
      }
    }
    throw lastError;
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    stopProbe();
  }

  function waitForVideo(timeoutMs) {
    return new Promise(function (resolve, reject) {
      var started = now();
      (function check() {
        if (video.videoWidth > 0 && video.readyState >= 2) {
          resolve();
        } else if (now() - started > timeoutMs) {
          reject(new Error("video did not start"));
        } else {
          setTimeout(check, 100);
        }
      })();
    });
  }

  async function startCamera() {
    var getUserMedia = cameraApi();
    if (!getUserMedia) {
      show("no-camera");
      return;
    }
    show("camera");
    try {
      stream = await openStream(getUserMedia);
    } catch (error) {
      var name = error && error.name;
      if (name === "NotAllowedError" || name === "PermissionDeniedError" || name === "SecurityError") {
        show("denied");
      } else {
        show("camera-error");
      }
      return;
    }
    stream.getVideoTracks().forEach(function (track) {
      track.addEventListener("ended", onCameraLost);
    });
    video.muted = true;
    video.setAttribute("playsinline", "");
    if ("srcObject" in video) {
      video.srcObject = stream;
    } else {
      video.src = window.URL.createObjectURL(stream);
    }
    show("capture");
    try {
      var playing = video.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
      await waitForVideo(8000);
    } catch (error) {
      stopCamera();
      show("camera-error");
      return;
    }
    runGuide();
  }

  function onCameraLost() {
    if (submitted) {
      return;
    }
    runId += 1;
    capturing = false;
    setFlash(null);
    stopCamera();
    show("camera-error");
  }

  /* ---------------------------------------------------------------- probe */

  function toBlob(canvas, quality) {
    return new Promise(function (resolve) {
      if (canvas.toBlob) {
        canvas.toBlob(resolve, "image/jpeg", quality);
        return;
      }
      var dataUrl = canvas.toDataURL("image/jpeg", quality);
      var bytes = atob(dataUrl.split(",")[1]);
      var array = new Uint8Array(bytes.length);
      for (var i = 0; i < bytes.length; i++) { array[i] = bytes.charCodeAt(i); }
      resolve(new Blob([array], { type: "image/jpeg" }));
    });
  }

  var probeCanvas = document.createElement("canvas");

  async function probeOnce() {
    if (probe.busy || !video.videoWidth) {
      return;
    }
    probe.busy = true;
    try {
      probeCanvas.width = PROBE_WIDTH;
      probeCanvas.height = Math.round(PROBE_WIDTH * video.videoHeight / video.videoWidth);
      probeCanvas.getContext("2d").drawImage(video, 0, 0, probeCanvas.width, probeCanvas.height);
      var blob = await toBlob(probeCanvas, 0.7);
      var form = tokenForm();
      form.append("frame", blob, "probe.jpg");
      var answer = await post(cfg.urls.probe, form);
      if (answer.ok && typeof answer.data.faces === "number") {
        probe.faces = answer.data.faces;
        probe.failures = 0;
        probe.okStreak = probe.faces === 1 ? probe.okStreak + 1 : 0;
      } else {
        probe.failures += 1;
      }
    } catch (e) {
      probe.failures += 1;
    } finally {
      probe.busy = false;
    }
    showProbeHint();
  }

  function showProbeHint() {
    var text = "";
    if (probe.faces === 0) {
      text = S.hint_no_face;
    } else if (probe.faces > 1) {
      text = S.hint_many_faces;
    } else if (probe.faces === 1 && !capturing) {
      text = S.hint_hold_still;
    }
    setText(el.hint, text);
    body.classList.toggle("lc-face-ok", probe.faces === 1);
    body.classList.toggle("lc-face-bad", probe.faces === 0 || probe.faces > 1);
  }

  function startProbe(intervalMs) {
    stopProbe();
    probe.timer = setInterval(probeOnce, intervalMs);
    probeOnce();
  }

  function stopProbe() {
    if (probe.timer) {
      clearInterval(probe.timer);
      probe.timer = null;
    }
  }

  /* ---------------------------------------------------------------- guide */

  async function runGuide() {
    var myRun = ++runId;
    setFlash(null);
    setText(el.progress, "");
    el.bar.style.width = "0";
    setPrompt(null, S.hint_place_face);
    setText(el.hint, "");
    probe.faces = null;
    probe.okStreak = 0;
    probe.failures = 0;
    startProbe(700);
    var started = now();
    // Wait for one face seen twice in a row; if the probe is unavailable or the
    // face never shows, go on after a while and let the engine decide.
    while (myRun === runId) {
      if (probe.okStreak >= 2) { break; }
      if (probe.failures >= 3 && now() - started > 1500) { break; }
      if (now() - started > FACE_WAIT_MS) { break; }
      await sleep(150);
    }
    for (var n = 3; n > 0 && myRun === runId; n--) {
      setText(el.countdown, String(n));
      setPrompt(null, format(S.countdown, { n: n }));
      await sleep(1000);
    }
    setText(el.countdown, "");
    if (myRun === runId) {
      capture(myRun);
    }
  }

  /* ---------------------------------------------------------------- capture plan */

  /**
   * The capture as consecutive segments: each has the prompt on screen (frames carry
   * it as `prompt`), its length, and whether the flash colours run inside it.
   */
  function buildPlan() {
    var actions = cfg.actions || [];
    var flash = cfg.flash || [];
    var windowMs = timing.action_window_ms || 2800;
    var flashMs = flash.reduce(function (sum, step) { return sum + (step.duration_ms || 0); }, 0);
    var segments = [];
    var flashPlaced = false;
    actions.forEach(function (action) {
      var segment = { action: action, text: (cfg.prompts || {})[action] || action, ms: windowMs, flash: false };
      if (flash.length && !flashPlaced && action === "LookFront") {
        segment.flash = true;
        segment.text = S.flash_prompt;
        segment.ms = Math.max(windowMs, flashMs + 600);
        flashPlaced = true;
      }
      segments.push(segment);
    });
    if (flash.length && !flashPlaced) {
      segments.unshift({ action: null, text: S.flash_prompt, ms: flashMs + 600, flash: true });
    }
    if (!segments.length) {
      segments.push({ action: null, text: S.silent_prompt, ms: timing.silent_ms || 3000, flash: false });
    }
    var start = 0;
    segments.forEach(function (segment) {
      segment.start = start;
      start += segment.ms;
    });
    return { segments: segments, total: start, flash: flash, actionCount: actions.length };
  }

  /* ---------------------------------------------------------------- capture */

  function frameSize() {
    var w = video.videoWidth, h = video.videoHeight;
    var scale = Math.min(1, FRAME_LONG_SIDE / Math.max(w, h));
    return { width: Math.round(w * scale), height: Math.round(h * scale) };
  }

  async function capture(myRun) {
    capturing = true;
    var plan = buildPlan();
    var fps = Math.min(timing.target_fps || 12, (MAX_FRAMES - 2) / (plan.total / 1000));
    var intervalMs = 1000 / fps;
    var size = frameSize();
    var canvas = document.createElement("canvas");
    canvas.width = size.width;
    canvas.height = size.height;
    var context = canvas.getContext("2d");
    var frames = [];
    var blobs = [];
    var flashLog = [];
    var quality = 0.8;
    var totalBytes = 0;
    var paintedColor = null;
    var t0 = now();

    startProbe(1000);

    function grab() {
      if (myRun !== runId || frames.length >= MAX_FRAMES) { return; }
      var t = Math.round(now() - t0);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var meta = { t: t, color: paintedColor, prompt: body.getAttribute("data-prompt") || null };
      var slot = frames.length;
      frames.push(meta);
      blobs.push(toBlob(canvas, quality).then(function (blob) {
        if (!blob || blob.size > MAX_FRAME_BYTES || totalBytes + blob.size > MAX_UPLOAD_BYTES * 0.92) {
          quality = Math.max(0.4, quality - 0.15);
          frames[slot] = null; // over the limits: dropped, the next ones are smaller
          return null;
        }
        totalBytes += blob.size;
        return blob;
      }));
    }

    var timer = setInterval(grab, intervalMs);
    grab();

    for (var i = 0; i < plan.segments.length && myRun === runId; i++) {
      var segment = plan.segments[i];
      setPrompt(segment.action, segment.text);
      setText(el.progress, plan.actionCount && segment.action
        ? format(S.progress, { i: i + 1 - (plan.segments.length - plan.actionCount), n: plan.actionCount })
        : "");
      var segmentEnd = segment.start + segment.ms;
      if (segment.flash) {
        await sleep(300);
        for (var k = 0; k < plan.flash.length && myRun === runId; k++) {
          var step = plan.flash[k];
          setFlash(step.color);
          await nextPaint();
          var shownAt = Math.round(now() - t0);
          if (flashLog.length) { flashLog[flashLog.length - 1].end = shownAt; }
          flashLog.push({ color: step.color, start: shownAt, end: null });
          paintedColor = step.color;
          await sleep(Math.max(0, step.duration_ms - 16));
        }
        setFlash(null);
        await nextPaint();
        paintedColor = null;
        if (flashLog.length) { flashLog[flashLog.length - 1].end = Math.round(now() - t0); }
      }
      while (myRun === runId) {
        var elapsed = now() - t0;
        el.bar.style.width = Math.min(100, 100 * elapsed / plan.total) + "%";
        if (elapsed >= segmentEnd) { break; }
        await sleep(Math.min(100, segmentEnd - elapsed));
      }
    }
    clearInterval(timer);
    capturing = false;
    setFlash(null);
    if (myRun !== runId) {
      return; // abandoned (tab hidden or camera lost); a new run takes over
    }
    setPrompt(null, "");
    var done = await Promise.all(blobs);
    var client = {
      camera_label: stream && stream.getVideoTracks()[0] ? stream.getVideoTracks()[0].label : "",
      user_agent: navigator.userAgent,
      width: size.width,
      height: size.height,
    };
    stopCamera();
    var form = tokenForm();
    var kept = [];
    done.forEach(function (blob, index) {
      if (blob && frames[index]) {
        kept.push(frames[index]);
        form.append("frame", blob, "frame-" + String(kept.length).padStart(3, "0") + ".jpg");
      }
    });
    form.append("meta", JSON.stringify({ frames: kept, flash: flashLog, client: client }));
    pendingUpload = form;
    upload();
  }

  /* ---------------------------------------------------------------- upload + result */

  async function upload() {
    submitted = true;
    retryCapture = false;
    show("processing");
    setText(el.processingText, S.uploading);
    var answer;
    try {
      answer = await post(cfg.urls.frames, pendingUpload);
    } catch (e) {
      showError(S.upload_failed);
      return;
    }
    if (answer.status >= 500) {
      showError(S.upload_failed);
      return;
    }
    if (!answer.ok) {
      // Already submitted, expired...: the status says what happened and where to go.
      var state = await fetchStatus();
      if (state && (state.state === "waiting" || !state.state)) {
        // Refused but still usable (e.g. too few frames with a face): film again.
        retryCapture = true;
        submitted = false;
        showError(S.rejected + (answer.data && answer.data.error ? " (" + answer.data.error + ")" : ""));
        return;
      }
    }
    pollStatus(answer.data && answer.data.status_url);
  }

  async function fetchStatus(statusUrl) {
    var url = statusUrl || cfg.urls.status;
    url += (url.indexOf("?") === -1 ? "?" : "&") + "token=" + encodeURIComponent(cfg.token);
    if (statusUrl && statusUrl.indexOf("token=") !== -1) {
      url = statusUrl;
    }
    try {
      var response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      return await response.json();
    } catch (e) {
      return null;
    }
  }

  async function pollStatus(statusUrl) {
    show("processing");
    setText(el.processingText, S.analysing);
    var started = now();
    var delay = 800;
    for (;;) {
      var state = await fetchStatus(statusUrl);
      if (state && state.redirect && (state.state === "done" || state.state === "expired")) {
        leave(state.redirect);
        return;
      }
      if (now() - started > 30000) {
        setText(el.processingText, S.slow);
        delay = 3000;
      }
      await sleep(delay);
    }
  }

  /* ---------------------------------------------------------------- wiring */

  function onClick(event) {
    var button = event.target.closest ? event.target.closest("[data-action]") : null;
    if (!button) { return; }
    var action = button.getAttribute("data-action");
    if (action === "start") {
      if ((cfg.flash || []).length) { show("warning"); } else { startCamera(); }
    } else if (action === "accept-flash" || action === "retry-camera") {
      startCamera();
    } else if (action === "decline-flash") {
      giveUp("photosensitivity_declined");
    } else if (action === "give-up") {
      giveUp(button.getAttribute("data-reason"));
    } else if (action === "retry-upload") {
      if (retryCapture) {
        pendingUpload = null;
        startCamera();
      } else if (pendingUpload) {
        upload();
      } else {
        pollStatus();
      }
    }
  }

  document.addEventListener("click", onClick);

  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream && !submitted) {
      // A capture with the page in the background films nothing useful: start over.
      runId += 1;
      capturing = false;
      setFlash(null);
    } else if (!document.hidden && stream && !submitted && !capturing) {
      runGuide();
    }
  });

  setTimeout(function () {
    if (!submitted) { giveUp("timeout"); }
  }, Math.max(0, PAGE_TIMEOUT_MS - (now() - pageStart)));

  if (cfg.initial === "processing") {
    submitted = true;
    if (cfg.redirect) { show("processing"); leave(cfg.redirect); } else { pollStatus(); }
  }
})();
