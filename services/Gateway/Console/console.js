/*
 * FaceMesh Console: a small web page to try a FaceMesh Gateway by hand.
 *
 * It detects faces in a photo, verifies two photos (1:1), enrolls subjects and lists galleries, identifies the
 * faces of a photo in a gallery (1:N), and groups unlabelled photos by person (People) with their corrections.
 *
 * It calls only the Gateway's public JSON API (gRPC JSON transcoding of facemesh.v1.FaceMeshApi, same origin,
 * plus GET /v1/info), with the API key of the field at the top in `x-api-key`. Requests and responses use the
 * proto3 JSON mapping: lowerCamelCase names, bytes as base64, int64 as strings, and fields at their default
 * value (0, false, "", empty lists) left out of responses, so every field read here has a default.
 * Plain ES2020, no framework, nothing loaded from elsewhere.
 */
'use strict';

const DEFAULT_FAR = 0.001;
const API_KEY_STORAGE = 'facemesh.apiKey';
const AUTH_MESSAGE = 'This Gateway needs an API key: paste one above (facemesh keys new)';
const GRPC_CODES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];
const COLORS = { face: '#16a34a', unknown: '#ea580c', landmark: '#f43f5e', label: '#ffffff' };
// The ArcFace reference points of a 112 × 112 crop: eyes, nose tip, mouth corners (as the image is seen).
const ARCFACE_112 = [
  { x: 38.2946, y: 51.6963 }, { x: 73.5318, y: 51.5014 }, { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 }, { x: 70.7299, y: 92.2041 },
];
const MAX_PAGES = 10;

const state = {
  fars: [DEFAULT_FAR],          // calibrated FARs from /v1/info
  thresholds: [],               // [{far, threshold}] from /v1/info
  peoplePhotos: new Map(),      // photoId → object URL of a photo added in this session
  peopleImages: new Map(),      // photoId → Promise of its decoded image
  detectFile: null,             // a dropped photo, when the browser would not put it into the file input
  identifyFile: null,
};

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers

function $(id) {
  return document.getElementById(id);
}

/** Makes an element: el('li', {class: 'x', dataset: {a: 'b'}}, 'text', child). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name === 'text') node.textContent = value;
    else if (name in node && typeof value !== 'string') node[name] = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function fixed(value, digits = 3) {
  return Number(value ?? 0).toFixed(digits);
}

function formatFar(far) {
  return String(Number(far));
}

function segment(value) {
  return encodeURIComponent(value);
}

function galleryPath(gallery) {
  const name = (gallery ?? '').trim();
  if (!name) throw new Error('Give a gallery name.');
  return `/v1/galleries/${segment(name)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(message, status, code, detail) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

function readApiKey() {
  try {
    return (sessionStorage.getItem(API_KEY_STORAGE) ?? '').trim();
  } catch {
    return '';
  }
}

function storeApiKey(key) {
  try {
    if (key) sessionStorage.setItem(API_KEY_STORAGE, key);
    else sessionStorage.removeItem(API_KEY_STORAGE);
  } catch {
    // Storage refused (private mode): the key lives in the field only.
  }
}

function currentApiKey() {
  const field = $('api-key');
  return (field ? field.value : readApiKey()).trim();
}

/** Calls the FaceMesh JSON API; answers the parsed body, or throws an ApiError with the server's message. */
async function callApi(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const key = currentApiKey();
  if (key) headers['x-api-key'] = key;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(`Could not reach the FaceMesh Gateway: ${err.message}`, 0, 14);
  }
  const text = await response.text();
  const json = parseJson(text);
  if (response.ok) return json ?? {};
  throw errorFromResponse(response, json, text);
}

function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorFromResponse(response, json, text) {
  const code = typeof json?.code === 'number' ? json.code : undefined;
  const serverMessage = json?.message || text.trim().slice(0, 300) || response.statusText || 'no message';
  const where = `HTTP ${response.status}${code !== undefined ? ` · ${GRPC_CODES[code] ?? `code ${code}`}` : ''}`;
  if (response.status === 401 || code === 16) {
    return new ApiError(AUTH_MESSAGE, response.status, 16, `${serverMessage} (${where})`);
  }
  return new ApiError(serverMessage, response.status, code, where);
}

// ---------------------------------------------------------------------------------------------------------------
// Busy state and errors, per section

function showError(section, err) {
  const box = section.querySelector('.error');
  const message = err?.message || String(err);
  box.replaceChildren(el('span', { class: 'error-message', text: message }));
  if (err?.detail) box.append(el('span', { class: 'error-detail', text: err.detail }));
  box.hidden = false;
  if (!(err instanceof ApiError)) console.error(err);
}

function hideError(section) {
  const box = section.querySelector('.error');
  box.replaceChildren();
  box.hidden = true;
}

function setBusy(section, button, busy) {
  const count = Number(section.dataset.busy ?? 0) + (busy ? 1 : -1);
  section.dataset.busy = String(Math.max(0, count));
  section.classList.toggle('busy', count > 0);
  section.setAttribute('aria-busy', count > 0 ? 'true' : 'false');
  const status = section.querySelector('.status');
  if (status) status.textContent = count > 0 ? 'Working…' : '';
  if (button) button.disabled = busy;
}

/** Runs one user action of a section: busy while it runs, its error shown in the section's `.error` box. */
async function runAction(sectionId, button, action) {
  const section = $(sectionId);
  hideError(section);
  setBusy(section, button, true);
  try {
    await action();
  } catch (err) {
    showError(section, err);
  } finally {
    setBusy(section, button, false);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Images: base64 for the API, decoded bitmaps for drawing

function bytesToBase64(bytes) {
  const chunk = 0x8000;
  let binary = '';
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

async function fileToBase64(file) {
  const buffer = await file.arrayBuffer();
  return bytesToBase64(new Uint8Array(buffer));
}

async function imageOf(file) {
  return { content: await fileToBase64(file) };
}

/** Decodes a photo upright (its EXIF orientation applied), as the Detector sees it. */
async function decodeImage(blob) {
  try {
    return await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    // An older browser without 'from-image': fall through.
  }
  try {
    return await createImageBitmap(blob);
  } catch {
    return loadImageElement(blob);
  }
}

async function loadImageElement(blob) {
  const url = URL.createObjectURL(blob);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The decoded photo, or null when the browser cannot draw it (the API answer is still shown). */
function decodeOrNull(blob) {
  return decodeImage(blob).catch(() => null);
}

function imageSize(image) {
  return { width: image.naturalWidth || image.width, height: image.naturalHeight || image.height };
}

// ---------------------------------------------------------------------------------------------------------------
// Drawing faces on a canvas

/**
 * Draws `image` scaled to fit `maxWidth` and every face on it.
 * options: {maxWidth, sourceWidth, sourceHeight (the size the server saw), landmarks, label(face, i) → {text, color}}
 */
function drawFaces(canvas, image, faces, options) {
  const ctx = canvas.getContext('2d');
  if (!image) {
    canvas.width = 0;
    canvas.height = 0;
    return;
  }
  const size = imageSize(image);
  const scale = Math.min(1, options.maxWidth / size.width);
  canvas.width = Math.max(1, Math.round(size.width * scale));
  canvas.height = Math.max(1, Math.round(size.height * scale));
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  const kx = canvas.width / (options.sourceWidth || size.width);
  const ky = canvas.height / (options.sourceHeight || size.height);
  faces.forEach((face, i) => {
    const label = options.label ? options.label(face, i) : { text: '', color: COLORS.face };
    drawFace(ctx, face, kx, ky, label, options.landmarks);
  });
}

function drawFace(ctx, face, kx, ky, label, withLandmarks) {
  const box = face?.box ?? {};
  const x = (box.left ?? 0) * kx;
  const y = (box.top ?? 0) * ky;
  const w = (box.width ?? 0) * kx;
  const h = (box.height ?? 0) * ky;
  const line = Math.max(2, Math.round(ctx.canvas.width / 450));
  ctx.lineWidth = line;
  ctx.strokeStyle = label.color;
  ctx.strokeRect(x, y, w, h);
  if (withLandmarks) drawLandmarks(ctx, face, kx, ky, line);
  if (label.text) drawLabel(ctx, label.text, x - line / 2, y, label.color);
}

function drawLandmarks(ctx, face, kx, ky, radius) {
  ctx.fillStyle = COLORS.landmark;
  for (const point of face?.landmarks?.points ?? []) {
    ctx.beginPath();
    ctx.arc((point.x ?? 0) * kx, (point.y ?? 0) * ky, radius + 0.5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function drawLabel(ctx, text, x, boxTop, color) {
  ctx.font = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const width = ctx.measureText(text).width + 10;
  const height = 19;
  const top = boxTop >= height ? boxTop - height : boxTop;
  const left = Math.max(0, Math.min(x, ctx.canvas.width - width));
  ctx.fillStyle = color;
  ctx.fillRect(left, top, width, height);
  ctx.fillStyle = COLORS.label;
  ctx.textBaseline = 'middle';
  ctx.fillText(text, left + 5, top + height / 2 + 0.5);
}

function livenessText(liveness) {
  if (!liveness) return '';
  return `${liveness.live ? 'live' : 'attack'} ${fixed(liveness.score, 2)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Face alignment: the similarity transform of the five landmarks onto the ArcFace 112 × 112 template

/**
 * The least-squares similarity (rotation, uniform scale, translation; no reflection: Umeyama in 2-D) that maps
 * the `src` points onto the `dst` points. Answers canvas setTransform's {a, b, c, d, e, f}:
 * x' = a·x + c·y + e, y' = b·x + d·y + f; null when the source points are all the same.
 */
function similarityTransform(src, dst) {
  const n = Math.min(src.length, dst.length);
  if (n < 2) return null;
  const ms = meanPoint(src, n);
  const md = meanPoint(dst, n);
  let dot = 0;
  let cross = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const sx = src[i].x - ms.x;
    const sy = src[i].y - ms.y;
    const dx = dst[i].x - md.x;
    const dy = dst[i].y - md.y;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
    variance += sx * sx + sy * sy;
  }
  if (variance === 0) return null;
  const p = dot / variance;   // scale · cos(angle)
  const q = cross / variance; // scale · sin(angle)
  return { a: p, b: q, c: -q, d: p, e: md.x - (p * ms.x - q * ms.y), f: md.y - (q * ms.x + p * ms.y) };
}

function meanPoint(points, n) {
  let x = 0;
  let y = 0;
  for (let i = 0; i < n; i++) {
    x += points[i].x;
    y += points[i].y;
  }
  return { x: x / n, y: y / n };
}

function landmarkPoints(face) {
  return (face?.landmarks?.points ?? []).map((p) => ({ x: p.x ?? 0, y: p.y ?? 0 }));
}

/** Draws the aligned 112 × 112 crop of `face` (landmarks in the pixels of `image`). */
function drawAlignedCrop(canvas, image, face) {
  const ctx = canvas.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#111827';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const points = landmarkPoints(face);
  const m = image && points.length >= 5 ? similarityTransform(points.slice(0, 5), ARCFACE_112) : null;
  if (!m) return;
  const k = canvas.width / 112;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.setTransform(m.a * k, m.b * k, m.c * k, m.d * k, m.e * k, m.f * k);
  ctx.drawImage(image, 0, 0);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}

function clearCanvas(canvas) {
  const ctx = canvas.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
}

// ---------------------------------------------------------------------------------------------------------------
// Server info and FAR choices

/** GET /v1/info answers {version, model: {modelId, pack, packDescription, dimension, executionProvider, thresholds}}. */
function describeInfo(info, model) {
  // The informational version carries the commit after a '+': the first 12 characters of it are enough to tell.
  const [release, commit] = (info.version || '').split('+');
  const version = release ? ` ${release}${commit ? `+${commit.slice(0, 12)}` : ''}` : '';
  const modelText = ` · model ${model.modelId || 'unknown'}`;
  const pack = model.pack ? ` (pack ${model.pack})` : '';
  return `Talking to FaceMesh${version}${modelText}${pack}`;
}

async function loadInfo() {
  const box = $('server-info');
  box.classList.remove('warn');
  try {
    const info = await callApi('GET', '/v1/info');
    const model = info.model ?? {};
    box.textContent = describeInfo(info, model);
    const extra = [model.packDescription, model.dimension && `${model.dimension}-d`,
      model.executionProvider && `on ${model.executionProvider}`];
    box.title = extra.filter(Boolean).join(' · ');
    useThresholds(model.thresholds ?? []);
  } catch (err) {
    box.textContent = `Could not read the FaceMesh server info (/v1/info): ${err.message}`;
    box.classList.add('warn');
  }
}

function useThresholds(thresholds) {
  state.thresholds = thresholds
    .map((t) => ({ far: Number(t.far ?? 0), threshold: Number(t.threshold ?? 0) }))
    .filter((t) => t.far > 0)
    .sort((x, y) => y.far - x.far);
  state.fars = state.thresholds.length ? state.thresholds.map((t) => t.far) : [DEFAULT_FAR];
  fillFarSelect($('verify-far'));
  fillFarSelect($('identify-far'));
}

function fillFarSelect(select) {
  const previous = Number(select.value);
  const chosen = state.fars.includes(previous) ? previous : pickDefaultFar();
  select.replaceChildren(...state.fars.map((far) => el('option', { value: String(far), text: formatFar(far) })));
  select.value = String(chosen);
}

function pickDefaultFar() {
  if (state.fars.includes(DEFAULT_FAR)) return DEFAULT_FAR;
  return state.fars.reduce((best, far) => (Math.abs(far - DEFAULT_FAR) < Math.abs(best - DEFAULT_FAR) ? far : best));
}

function selectedFar(selectId) {
  const far = Number($(selectId).value);
  return far > 0 ? far : DEFAULT_FAR;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Detect

async function runDetect() {
  const file = $('detect-file').files[0] ?? state.detectFile;
  if (!file) throw new Error('Choose a photo first.');
  $('detect-summary').textContent = '';
  const body = { image: await imageOf(file), multiScale: $('detect-multiscale').checked };
  const [response, image] = await Promise.all([callApi('POST', '/v1/detect', body), decodeOrNull(file)]);
  const faces = response.faces ?? [];
  $('detect-summary').textContent = plural(faces.length, 'face', 'faces');
  drawFaces($('detect-canvas'), image, faces, {
    maxWidth: 900,
    sourceWidth: response.imageWidth,
    sourceHeight: response.imageHeight,
    landmarks: true,
    label: (face, i) => ({ text: detectLabel(face, i), color: COLORS.face }),
  });
  renderDetectTable(faces);
  if (!image) throw new Error('The browser could not draw this photo; the faces are listed below.');
}

function detectLabel(face, i) {
  const live = livenessText(face.liveness);
  return `#${i + 1} · q ${fixed(face.quality?.overall, 2)}${live ? ` · ${live}` : ''}`;
}

function renderDetectTable(faces) {
  const rows = faces.map((face, i) => {
    const q = face.quality ?? {};
    const pose = [q.yaw, q.pitch, q.roll].map((v) => fixed(v, 1)).join(' / ');
    return el('tr', {},
      el('td', { text: String(i + 1) }),
      el('td', { text: fixed(face.score) }),
      el('td', { text: fixed(q.overall) }),
      el('td', { text: `${fixed(q.eyeDistance, 1)} px` }),
      el('td', { text: `${pose} °` }),
      el('td', { text: livenessText(face.liveness) || '—' }));
  });
  $('detect-faces').tBodies[0].replaceChildren(...rows);
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Verify

async function runVerify() {
  const fileA = $('verify-a').files[0];
  const fileB = $('verify-b').files[0];
  if (!fileA || !fileB) throw new Error('Choose two photos: A (the probe) and B (the reference).');
  clearVerify();
  const [probe, referenceImage] = await Promise.all([imageOf(fileA), imageOf(fileB)]);
  const body = { probe, referenceImage, far: selectedFar('verify-far'), requireLive: $('verify-live').checked };
  const [response, imageA, imageB] = await Promise.all([
    callApi('POST', '/v1/verify', body), decodeOrNull(fileA), decodeOrNull(fileB)]);
  showVerifyResult(response);
  renderVerifyFars(response);
  showComparedFace($('verify-photo-a'), $('verify-crop-a'), imageA, response.probeFace);
  showComparedFace($('verify-photo-b'), $('verify-crop-b'), imageB, response.referenceFace);
}

function clearVerify() {
  $('verify-result').textContent = '';
  $('verify-result').className = 'result';
  $('verify-detail').textContent = '';
  $('verify-fars').tBodies[0].replaceChildren();
  for (const id of ['verify-crop-a', 'verify-crop-b', 'verify-photo-a', 'verify-photo-b']) clearCanvas($(id));
}

function verifyText(response) {
  const decision = response.match ? 'Match' : 'No match';
  const far = formatFar(response.far || selectedFar('verify-far'));
  return `${decision} · score ${fixed(response.score)} · threshold ${fixed(response.threshold)} at FAR ${far}`;
}

function showVerifyResult(response) {
  const result = $('verify-result');
  result.textContent = verifyText(response);
  result.className = `result ${response.match ? 'good' : 'bad'}`;
  const details = [`model ${response.modelId || 'unknown'}`];
  const probeLive = livenessText(response.probeFace?.liveness);
  const referenceLive = livenessText(response.referenceFace?.liveness);
  if (probeLive) details.push(`A ${probeLive}`);
  if (referenceLive) details.push(`B ${referenceLive}`);
  $('verify-detail').textContent = details.join(' · ');
}

function renderVerifyFars(response) {
  const score = Number(response.score ?? 0);
  const usedFar = Number(response.far || selectedFar('verify-far'));
  const points = state.thresholds.length ? state.thresholds : [{ far: usedFar, threshold: Number(response.threshold ?? 0) }];
  const rows = points.map((point) => {
    const match = score >= point.threshold;
    return el('tr', { class: point.far === usedFar ? 'current' : undefined },
      el('td', { text: formatFar(point.far) }),
      el('td', { text: fixed(point.threshold) }),
      el('td', { class: match ? 'good' : 'bad', text: match ? 'Match' : 'No match' }));
  });
  $('verify-fars').tBodies[0].replaceChildren(...rows);
}

function showComparedFace(photoCanvas, cropCanvas, image, face) {
  const faces = face ? [face] : [];
  drawFaces(photoCanvas, image, faces, { maxWidth: 320, label: () => ({ text: '', color: COLORS.face }), landmarks: true });
  drawAlignedCrop(cropCanvas, image, face);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Galleries: enroll, list, delete

async function runEnroll() {
  const gallery = $('gallery-name').value.trim();
  const subject = $('enroll-subject').value.trim();
  const files = [...$('enroll-files').files];
  if (!subject) throw new Error('Give a subject id.');
  if (!files.length) throw new Error('Choose one or more photos of the subject.');
  $('enroll-result').textContent = '';
  $('enroll-detail').textContent = '';
  const photos = await Promise.all(files.map(async (file) => ({ image: await imageOf(file) })));
  const body = { photos, waitUntilSearchable: true, requireLive: $('enroll-live').checked };
  const path = `${galleryPath(gallery)}/subjects/${segment(subject)}:enroll`;
  const response = await callApi('POST', path, body);
  showEnrollResult(response, gallery, subject);
  await refreshGalleries();
}

function showEnrollResult(response, gallery, subject) {
  const faces = response.faces ?? [];
  $('enroll-result').textContent = `Enrolled ${plural(faces.length, 'face', 'faces')} of ${subject}`;
  const lowQuality = faces.filter((f) => f.lowQuality).length;
  const details = [`gallery ${gallery}`, `model ${response.modelId || 'unknown'}`];
  if (lowQuality) details.push(`${lowQuality} below the quality policy (enrolled anyway)`);
  details.push(response.searchable ? 'searchable now' : 'not searchable yet (still being applied)');
  $('enroll-detail').textContent = details.join(' · ');
}

/** Lists the galleries and the subjects of the gallery named in the field. */
async function refreshGalleries() {
  const response = await callApi('GET', '/v1/galleries');
  renderGalleries(response.galleries ?? []);
  await refreshSubjects();
}

function renderGalleries(galleries) {
  const list = $('gallery-list');
  if (!galleries.length) {
    list.replaceChildren(el('li', { class: 'empty', text: 'No galleries yet: enroll a subject to make one.' }));
    return;
  }
  list.replaceChildren(...galleries.map((g) => el('li', { dataset: { gallery: g.name ?? '' } },
    el('button', { type: 'button', class: 'link', dataset: { action: 'open-gallery', gallery: g.name ?? '' }, text: g.name ?? '' }),
    el('span', { class: 'muted', text: galleryCounts(g) }))));
}

function galleryCounts(gallery) {
  const subjects = Number(gallery.subjects ?? 0);
  const faces = Number(gallery.faces ?? 0);
  const model = gallery.modelId ? ` · model ${gallery.modelId}` : '';
  return `${plural(subjects, 'subject', 'subjects')} · ${plural(faces, 'face', 'faces')}${model}`;
}

async function refreshSubjects() {
  const gallery = $('gallery-name').value.trim();
  $('subject-gallery').textContent = gallery || '—';
  const list = $('subject-list');
  if (!gallery) {
    list.replaceChildren();
    return;
  }
  try {
    const subjects = await listAllPages(`${galleryPath(gallery)}/subjects`, 'subjects', {});
    renderSubjects(subjects.items, subjects.more);
  } catch (err) {
    if (err.code !== 5) throw err;
    list.replaceChildren(el('li', { class: 'empty', text: `No gallery "${gallery}" yet (${err.message}).` }));
  }
}

/** Reads up to MAX_PAGES pages of a paged list; `more` says whether pages were left. */
async function listAllPages(path, field, params) {
  const items = [];
  let token = '';
  let extra = {};
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ ...params, pageSize: '500' });
    if (token) query.set('pageToken', token);
    const response = await callApi('GET', `${path}?${query}`);
    items.push(...(response[field] ?? []));
    extra = response;
    token = response.nextPageToken ?? '';
    if (!token) return { items, more: false, last: extra };
  }
  return { items, more: true, last: extra };
}

function renderSubjects(subjects, more) {
  const list = $('subject-list');
  if (!subjects.length) {
    list.replaceChildren(el('li', { class: 'empty', text: 'No subjects in this gallery.' }));
    return;
  }
  const items = subjects.map((s) => el('li', { dataset: { subject: s.subjectId ?? '' } },
    el('span', { class: 'subject-id', text: s.subjectId ?? '' }),
    el('span', { class: 'muted', text: plural((s.faceIds ?? []).length, 'face', 'faces') }),
    el('button', { type: 'button', class: 'danger delete', dataset: { action: 'delete-subject', subject: s.subjectId ?? '' },
      text: 'Delete' })));
  if (more) items.push(el('li', { class: 'empty', text: `Only the first ${subjects.length} subjects are shown.` }));
  list.replaceChildren(...items);
}

async function deleteSubject(subject, button) {
  const gallery = $('gallery-name').value.trim();
  if (!confirm(`Delete subject "${subject}" and all its faces from gallery "${gallery}"?`)) return;
  await runAction('galleries', button, async () => {
    const response = await callApi('DELETE', `${galleryPath(gallery)}/subjects/${segment(subject)}`);
    $('subject-result').textContent = `Deleted ${subject}: ${plural(Number(response.deletedFaces ?? 0), 'face', 'faces')}`;
    await refreshGalleries();
  });
}

function onGalleriesClick(event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  if (button.dataset.action === 'open-gallery') {
    $('gallery-name').value = button.dataset.gallery;
    $('subject-result').textContent = '';
    runAction('galleries', button, refreshSubjects);
  } else if (button.dataset.action === 'delete-subject') {
    deleteSubject(button.dataset.subject, button);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Identify

async function runIdentify() {
  const file = $('identify-file').files[0] ?? state.identifyFile;
  if (!file) throw new Error('Choose a photo first.');
  const gallery = $('identify-gallery').value.trim();
  $('identify-summary').textContent = '';
  $('identify-faces').replaceChildren();
  const body = { image: await imageOf(file), topK: 5, far: selectedFar('identify-far'), multiScale: $('identify-multiscale').checked };
  const [response, image] = await Promise.all([callApi('POST', `${galleryPath(gallery)}:identify`, body), decodeOrNull(file)]);
  const faces = response.faces ?? [];
  $('identify-summary').textContent = identifySummary(response, faces);
  drawFaces($('identify-canvas'), image, faces.map((f) => f.face ?? {}), {
    maxWidth: 900,
    label: (face, i) => identifyLabel(faces[i]),
  });
  renderIdentifyFaces(faces);
  if (!image) throw new Error('The browser could not draw this photo; the faces are listed below.');
}

function identifySummary(response, faces) {
  const known = faces.filter((f) => f.match).length;
  const far = formatFar(response.far || selectedFar('identify-far'));
  return `${plural(faces.length, 'face', 'faces')} · ${known} identified · threshold ${fixed(response.threshold)} at FAR ${far}`;
}

function bestCandidate(identified) {
  return (identified?.candidates ?? [])[0];
}

function identifyLabel(identified) {
  const best = bestCandidate(identified);
  if (identified?.match && best) return { text: best.subjectId ?? '', color: COLORS.face };
  return { text: 'unknown', color: COLORS.unknown };
}

function renderIdentifyFaces(faces) {
  const items = faces.map((identified, i) => {
    const best = bestCandidate(identified);
    const known = Boolean(identified.match && best);
    const title = `Face ${i + 1}: ${known ? best.subjectId : 'unknown'}`;
    const candidates = (identified.candidates ?? []).map((c, k) =>
      el('li', { class: k === 0 && known ? 'good' : undefined, dataset: { subject: c.subjectId ?? '' } },
        el('span', { class: 'subject-id', text: c.subjectId ?? '' }), el('span', { class: 'score', text: fixed(c.score) })));
    const none = candidates.length ? null : el('li', { class: 'empty', text: 'no candidates' });
    return el('li', { class: known ? 'match' : 'unknown', dataset: { subject: known ? best.subjectId : '' } },
      el('div', { class: 'face-title', text: title }), el('ol', { class: 'candidates' }, candidates, none));
  });
  $('identify-faces').replaceChildren(...items);
}

// ---------------------------------------------------------------------------------------------------------------
// 5. People

function peopleGallery() {
  return galleryPath($('people-gallery').value);
}

async function runAddPhotos() {
  const files = [...$('people-files').files];
  if (!files.length) return;
  const photos = await Promise.all(files.map(async (file) => ({ photoId: file.name, image: await imageOf(file) })));
  const response = await callApi('POST', `${peopleGallery()}/photos`, { photos, waitUntilGrouped: true });
  files.forEach(rememberPhoto);
  const added = response.photos ?? [];
  const faces = added.reduce((sum, photo) => sum + (photo.faces ?? []).length, 0);
  const grouped = response.grouped ? '' : ' (still being grouped)';
  $('people-result').textContent = `Added ${plural(added.length, 'photo', 'photos')}: ${plural(faces, 'face', 'faces')}${grouped}`;
  $('people-files').value = '';
  await refreshPeople();
}

function rememberPhoto(file) {
  const old = state.peoplePhotos.get(file.name);
  if (old) URL.revokeObjectURL(old);
  state.peoplePhotos.set(file.name, URL.createObjectURL(file));
  state.peopleImages.delete(file.name);
}

function photoImage(photoId) {
  if (!state.peopleImages.has(photoId)) {
    const url = state.peoplePhotos.get(photoId);
    const promise = fetch(url).then((r) => r.blob()).then(decodeImage).catch(() => null);
    state.peopleImages.set(photoId, promise);
  }
  return state.peopleImages.get(photoId);
}

async function refreshPeople() {
  const params = $('people-singles').checked ? { includeSingleFaces: 'true' } : {};
  let result;
  try {
    result = await listAllPages(`${peopleGallery()}/people`, 'people', params);
  } catch (err) {
    if (err.code !== 5) throw err;
    $('people-summary').textContent = '0 people';
    const gallery = $('people-gallery').value.trim();
    $('people-list').replaceChildren(el('p', { class: 'empty', text: `No gallery "${gallery}" yet (${err.message}).` }));
    return;
  }
  const waiting = Number(result.last.waitingFaces ?? 0);
  const more = result.more ? ' (first pages only)' : '';
  $('people-summary').textContent =
    `${plural(result.items.length, 'person', 'people')} · ${plural(waiting, 'face', 'faces')} waiting${more}`;
  renderPeople(result.items);
}

function renderPeople(people) {
  const list = $('people-list');
  if (!people.length) {
    list.replaceChildren(el('p', { class: 'empty', text: 'No people yet: add photos above.' }));
    return;
  }
  list.replaceChildren(...people.map(personCard));
}

function personCard(person) {
  const id = person.personId ?? '';
  const faces = person.faces ?? [];
  const photoIds = person.photoIds ?? [];
  const card = el('article', { class: 'person card-inner', dataset: { personId: id } },
    el('div', { class: 'person-thumb' }, faceThumb(person.representative, 96)),
    el('div', { class: 'person-body' },
      el('h3', { text: person.name || 'Unnamed person' }),
      el('div', { class: 'mono muted', text: id }),
      el('div', { text: `${plural(Number(person.faceCount ?? faces.length), 'face', 'faces')} · ${listShort(photoIds)}` }),
      el('div', { class: 'person-actions' },
        el('label', { class: 'check' }, el('input', { type: 'checkbox', class: 'merge-select', value: id }), 'select'),
        actionButton('name', 'Name…', id),
        actionButton('delete-person', 'Delete', id, 'danger'),
        faces.length ? null : actionButton('show-faces', 'Faces…', id)),
      el('ul', { class: 'person-faces' }, faces.slice(0, 24).map((face) => faceItem(face)))));
  return card;
}

function listShort(ids, max = 6) {
  if (!ids.length) return 'no photo ids';
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown} +${ids.length - max} more` : shown;
}

function actionButton(action, text, personId, extraClass) {
  return el('button', { type: 'button', class: extraClass, dataset: { action, person: personId }, text });
}

function faceItem(face) {
  return el('li', { dataset: { faceId: face.faceId ?? '' } },
    faceThumb(face, 40),
    el('span', { class: 'muted', text: face.photoId ?? '' }),
    el('button', { type: 'button', class: 'small', dataset: { action: 'move', face: face.faceId ?? '' }, text: 'Move…' }));
}

/** The face cut from its photo when the photo was added in this session; otherwise the photo id. */
function faceThumb(personFace, size) {
  const photoId = personFace?.photoId ?? '';
  if (!personFace || !state.peoplePhotos.has(photoId)) {
    return el('span', { class: size > 48 ? 'photo-id large' : 'photo-id', text: photoId || '—' });
  }
  const canvas = el('canvas', { class: 'thumb', width: size, height: size, title: photoId });
  photoImage(photoId).then((image) => drawThumb(canvas, image, personFace.box ?? {}));
  return canvas;
}

function drawThumb(canvas, image, box) {
  const ctx = canvas.getContext('2d');
  if (!image) return;
  const side = Math.max(box.width ?? 0, box.height ?? 0) * 1.3 || imageSize(image).width;
  const cx = (box.left ?? 0) + (box.width ?? 0) / 2;
  const cy = (box.top ?? 0) + (box.height ?? 0) / 2;
  ctx.fillStyle = '#111827';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, cx - side / 2, cy - side / 2, side, side, 0, 0, canvas.width, canvas.height);
}

function onPeopleClick(event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const { action, person, face } = button.dataset;
  const handlers = {
    'name': () => namePerson(person),
    'delete-person': () => deletePerson(person),
    'show-faces': () => showPersonFaces(person, button),
    'move': () => moveFace(face),
  };
  if (handlers[action]) runAction('people', button, handlers[action]);
}

async function namePerson(personId) {
  const subjectId = (prompt('Name this person: the subject id its faces get (for Verify and Identify)') ?? '').trim();
  if (!subjectId) return;
  await callApi('POST', `${peopleGallery()}/people/${segment(personId)}:name`, { subjectId });
  $('people-result').textContent = `Named ${personId} as ${subjectId}`;
  await refreshPeople();
}

async function deletePerson(personId) {
  if (!confirm(`Delete person ${personId} and all its faces?`)) return;
  const response = await callApi('DELETE', `${peopleGallery()}/people/${segment(personId)}`);
  $('people-result').textContent = `Deleted ${personId}: ${plural(Number(response.deletedFaces ?? 0), 'face', 'faces')}`;
  await refreshPeople();
}

async function showPersonFaces(personId, button) {
  const person = await callApi('GET', `${peopleGallery()}/people/${segment(personId)}`);
  const card = button.closest('.person');
  card.querySelector('.person-faces').replaceChildren(...(person.faces ?? []).slice(0, 24).map((face) => faceItem(face)));
  button.remove();
}

async function moveFace(faceId) {
  const answer = prompt('Move this face to which person id? (leave empty: a new person of its own)');
  if (answer === null) return;
  const personId = answer.trim();
  const body = personId ? { personId } : {};
  const person = await callApi('POST', `${peopleGallery()}/faces/${segment(faceId)}:move`, body);
  $('people-result').textContent = `Moved face ${faceId} to ${person.personId || personId || 'a new person'}`;
  await refreshPeople();
}

async function mergeSelected() {
  const ids = [...document.querySelectorAll('#people-list .merge-select:checked')].map((box) => box.value);
  if (ids.length < 2) throw new Error('Select two or more people to merge (the first of them in the list stays).');
  const [keep, ...others] = ids;
  if (!confirm(`Merge ${plural(others.length, 'person', 'people')} into ${keep}?`)) return;
  const person = await callApi('POST', `${peopleGallery()}/people/${segment(keep)}:merge`, { otherPersonIds: others });
  $('people-result').textContent =
    `Merged ${plural(others.length, 'person', 'people')} into ${keep}: ${plural(Number(person.faceCount ?? 0), 'face', 'faces')}`;
  await refreshPeople();
}

// ---------------------------------------------------------------------------------------------------------------
// Tabs, drag and drop, wiring

const TAB_LOADERS = {
  galleries: () => runAction('galleries', $('galleries-refresh'), refreshGalleries),
  people: () => runAction('people', $('people-refresh'), refreshPeople),
};

function showTab(name) {
  const tabs = [...document.querySelectorAll('[data-tab]')];
  if (!tabs.some((tab) => tab.dataset.tab === name)) name = 'detect';
  for (const tab of tabs) {
    const active = tab.dataset.tab === name;
    tab.classList.toggle('active', active);
    tab.setAttribute('aria-selected', active ? 'true' : 'false');
  }
  for (const panel of document.querySelectorAll('main > section')) panel.hidden = panel.id !== name;
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  if (TAB_LOADERS[name]) TAB_LOADERS[name]();
}

/** Lets a photo be dropped onto a section; `onFile` gets the first file. */
function enableDrop(section, onFile) {
  section.addEventListener('dragover', (event) => {
    event.preventDefault();
    section.classList.add('dragging');
  });
  section.addEventListener('dragleave', (event) => {
    if (!section.contains(event.relatedTarget)) section.classList.remove('dragging');
  });
  section.addEventListener('drop', (event) => {
    event.preventDefault();
    section.classList.remove('dragging');
    const file = [...(event.dataTransfer?.files ?? [])].find((f) => f.type.startsWith('image/')) ?? event.dataTransfer?.files[0];
    if (file) onFile(file);
  });
}

/** Puts a dropped file into a file input (so the other controls see it), then runs the input's action. */
function dropInto(input, file, action) {
  try {
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
  } catch {
    // Browsers that refuse to set files: the action reads state instead.
  }
  action(file);
}

function wireCredentials() {
  const field = $('api-key');
  field.value = readApiKey();
  field.addEventListener('input', () => storeApiKey(field.value.trim()));
  field.addEventListener('change', () => {
    storeApiKey(field.value.trim());
    loadInfo();
  });
}

function wireDetect() {
  const run = () => runAction('detect', null, runDetect);
  $('detect-file').addEventListener('change', () => {
    state.detectFile = $('detect-file').files[0] ?? null;
    if (state.detectFile) run();
  });
  $('detect-multiscale').addEventListener('change', () => {
    if ($('detect-file').files[0] ?? state.detectFile) run();
  });
  enableDrop($('detect'), (file) => dropInto($('detect-file'), file, (f) => {
    state.detectFile = f;
    run();
  }));
}

function wireVerify() {
  $('verify-run').addEventListener('click', () => runAction('verify', $('verify-run'), runVerify));
}

function wireGalleries() {
  $('enroll-run').addEventListener('click', () => runAction('galleries', $('enroll-run'), runEnroll));
  $('galleries-refresh').addEventListener('click', () => runAction('galleries', $('galleries-refresh'), refreshGalleries));
  $('gallery-name').addEventListener('change', () => runAction('galleries', null, refreshSubjects));
  $('galleries').addEventListener('click', onGalleriesClick);
}

function wireIdentify() {
  const run = () => runAction('identify', $('identify-run'), runIdentify);
  $('identify-file').addEventListener('change', () => {
    state.identifyFile = $('identify-file').files[0] ?? null;
    if (state.identifyFile) run();
  });
  $('identify-run').addEventListener('click', run);
  enableDrop($('identify'), (file) => dropInto($('identify-file'), file, (f) => {
    state.identifyFile = f;
    run();
  }));
}

function wirePeople() {
  $('people-files').addEventListener('change', () => runAction('people', null, runAddPhotos));
  $('people-refresh').addEventListener('click', () => runAction('people', $('people-refresh'), refreshPeople));
  $('people-merge').addEventListener('click', () => runAction('people', $('people-merge'), mergeSelected));
  $('people-gallery').addEventListener('change', () => runAction('people', null, refreshPeople));
  $('people-singles').addEventListener('change', () => runAction('people', null, refreshPeople));
  $('people-list').addEventListener('click', onPeopleClick);
}

function init() {
  wireCredentials();
  wireDetect();
  wireVerify();
  wireGalleries();
  wireIdentify();
  wirePeople();
  for (const tab of document.querySelectorAll('[data-tab]')) {
    tab.addEventListener('click', () => showTab(tab.dataset.tab));
  }
  window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
  loadInfo();
  showTab(location.hash.slice(1) || 'detect');
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}
