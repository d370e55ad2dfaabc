'use strict';
// 我的电子证照: talks only to /api/v1/me (and the public service-item catalogue). The session is an HttpOnly cookie that
// this script cannot read; every call carries the X-CertLib-Portal header, without which the cookie authorises nothing.

const STATUS = { valid: '有效', revoked: '已吊销', suspended: '已暂停', expired: '已过期' };
const REASON = {
  superseded: '已换发新版本', holderRequest: '持证人申请', issuedInError: '错误签发', holderDeceased: '持证人死亡或主体注销',
  dataChanged: '证照信息变更', cessationOfOperation: '停止经营', keyCompromise: '遗失或被冒用', privilegeWithdrawn: '依法撤回', other: '其他',
};
const CONSENT_STATE = { active: '有效', withdrawn: '已撤回', expired: '已过期' };
const ACTION = { lookup: '一号查询', read: '读取证照', qr: '获取二维码', pdf: '下载 PDF' };
const RESULT = { ok: '成功', 'consent-required': '未经授权，已拒绝' };
const PAGE_SIZE = 10;

const $ = id => document.getElementById(id);
const ROLE = { 'legal-representative': '法定代表人', agent: '授权代理人' };
// acting: null for myself, or the organisation {creditCode, name, role} I act for as its representative.
const state = { directory: null, items: null, certificates: [], logPage: 1, qrUrl: null, qrCertificate: null, organizations: [], acting: null };

// Where my own data lives, or the organisation's while I act for it (same shapes).
function base() {
  return state.acting ? `/api/v1/me/organizations/${encodeURIComponent(state.acting.creditCode)}` : '/api/v1/me';
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function details(pairs) {
  return el('dl', null, pairs.filter(([, v]) => v).map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
}

function date(value) {
  return value ? new Date(value).toLocaleDateString('zh-CN') : '';
}

function dateTime(value) {
  return new Date(value).toLocaleString('zh-CN', { hour12: false });
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

class ApiError extends Error {}

async function api(path, options = {}) {
  const headers = Object.assign({ 'X-CertLib-Portal': '1' }, options.headers || {});
  if (options.json !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method: options.method || 'GET',
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (response.status === 401 || (response.status === 403 && /insufficient_scope/.test(response.headers.get('WWW-Authenticate') || ''))) {
    // The session ended (or the access token expired, or predates the scopes the portal now needs): sign in again; with a
    // live SSO session this is silent.
    location.assign('/portal/login');
    throw new ApiError('请重新登录。');
  }
  if (!response.ok) {
    let detail = '';
    try { const problem = await response.json(); detail = problem.detail || problem.title || ''; } catch { /* not JSON */ }
    throw new ApiError(`操作未成功（${response.status}）${detail ? '：' + detail : ''}`);
  }
  return response;
}

async function json(path, options) {
  return (await api(path, options)).json();
}

function typeOf(code) {
  return (state.directory?.certificateTypes || []).find(t => t.code === code);
}

function departmentName(code) {
  return (state.directory?.departments || []).find(d => d.code === code)?.name || code;
}

function itemName(code) {
  return (state.items || []).find(i => i.code === code)?.name || code;
}

async function loadDirectory() {
  if (!state.directory) {
    state.directory = await json('/api/v1/me/directory');
  }
  if (!state.items) {
    const response = await fetch('/api/v1/service-items', { credentials: 'omit' });
    state.items = response.ok ? await response.json() : [];
  }
}

// ---- 我的证照 ----

async function loadCertificates() {
  await loadDirectory();
  state.certificates = await json(`${base()}/certificates`);
  const list = $('certificates');
  list.replaceChildren(...state.certificates.map(certificateCard));
  $('certificates-empty').textContent = state.acting ? '该单位名下暂无电子证照。' : '您名下暂无电子证照。';
  $('certificates-empty').hidden = state.certificates.length > 0;
}

function certificateCard(c) {
  const type = typeOf(c.typeCode);
  return el('li', { class: 'card certificate', dataset: { id: c.id, status: c.status } },
    el('div', { class: 'title' }, el('span', null, type?.name || c.typeCode), el('span', { class: 'status ' + c.status }, STATUS[c.status] || c.status)),
    details([
      [c.holder?.creditCode ? '持证单位' : '持证人', c.holder?.name],
      ['统一社会信用代码', c.holder?.creditCode],
      ['证照编号', c.number],
      ['发证机关', c.issuer?.name || c.issuer?.code],
      ['签发日期', date(c.issuedAt)],
      ['有效期至', c.validUntil ? date(c.validUntil) : '长期'],
      ['状态说明', c.status === 'valid' ? '' : [REASON[c.statusReasonCode] || c.statusReasonCode, c.statusReason].filter(Boolean).join('：')],
    ]),
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'primary show-qr', onclick: () => openQr(c) }, '出示二维码'),
      state.acting ? null : el('button', { type: 'button', class: 'download-pdf', onclick: () => downloadPdf(c) }, '下载 PDF')));
}

async function downloadPdf(c) {
  showError('');
  try {
    const blob = await (await api(`/api/v1/me/certificates/${encodeURIComponent(c.id)}/pdf`, { headers: { Accept: 'application/pdf' } })).blob();
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: `${(typeOf(c.typeCode)?.name || '证照')}-${c.number}.pdf` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (e) {
    showError(e instanceof ApiError ? e.message : '下载失败，请稍后重试。');
  }
}

function openQr(c) {
  state.qrCertificate = c;
  const mode = typeOf(c.typeCode)?.qrMode || 'both';
  const radios = document.querySelectorAll('input[name="qr-form"]');
  for (const radio of radios) {
    radio.disabled = mode !== 'both' && radio.value !== mode;
    radio.checked = mode === 'both' ? radio.value === 'online' : radio.value === mode;
  }
  $('qr-purpose-box').hidden = qrForm() !== 'online';
  $('qr-certificate').textContent = `${typeOf(c.typeCode)?.name || c.typeCode} · ${c.number}` +
    (c.status === 'valid' ? '' : `（${STATUS[c.status] || c.status}，核验结果将显示为无效）`);
  $('qr-figure').hidden = true;
  $('qr-dialog').showModal();
}

function qrForm() {
  return document.querySelector('input[name="qr-form"]:checked')?.value || 'online';
}

async function showQr(event) {
  event.preventDefault();
  const c = state.qrCertificate;
  const form = qrForm();
  const query = new URLSearchParams({ form });
  if (form === 'online') query.set('purpose', $('qr-purpose').value);
  $('qr-show').disabled = true;
  try {
    const blob = await (await api(`${base()}/certificates/${encodeURIComponent(c.id)}/qr?${query}`, { headers: { Accept: 'image/png' } })).blob();
    if (state.qrUrl) URL.revokeObjectURL(state.qrUrl);
    state.qrUrl = URL.createObjectURL(blob);
    const image = $('qr-image');
    image.src = state.qrUrl;
    image.dataset.form = form;
    $('qr-caption').textContent = form === 'online'
      ? `在线核验码，用途：${$('qr-purpose').value}。请核验方用手机扫码，10 分钟内有效。`
      : c.holder?.creditCode
        ? '离线核验码：含签名、单位名称和统一社会信用代码，核验方无需联网即可验证。'
        : '离线核验码：含签名和脱敏信息，核验方无需联网即可验证。';
    $('qr-figure').hidden = false;
  } catch (e) {
    $('qr-caption').textContent = e.message;
    $('qr-figure').hidden = false;
  } finally {
    $('qr-show').disabled = false;
  }
}

function closeQr() {
  $('qr-dialog').close();
  $('qr-image').removeAttribute('src');
  if (state.qrUrl) URL.revokeObjectURL(state.qrUrl);
  state.qrUrl = null;
}

// ---- 授权管理 ----

async function loadConsents() {
  await loadDirectory();
  const [settings, consents, apps] = await Promise.all([json('/api/v1/me/settings'), json('/api/v1/me/consents'), json('/api/v1/me/authorized-clients')]);
  $('consent-required').checked = settings.consentRequired;
  const departments = $('grant-department');
  if (departments.options.length === 0) {
    departments.append(...state.directory.departments.map(d => el('option', { value: d.code }, d.name)));
    $('grant-types').replaceChildren(...state.directory.certificateTypes.map(t =>
      el('label', null, el('input', { type: 'checkbox', name: 'grant-type', value: t.code }), t.name)));
    $('grant-item').append(...state.items.map(i => el('option', { value: i.code }, i.name)));
    const today = new Date();
    const limit = new Date(today.getTime() + 365 * 86400000);
    const expires = $('grant-expires');
    expires.min = today.toISOString().slice(0, 10);
    expires.max = limit.toISOString().slice(0, 10);
    expires.value = new Date(today.getTime() + 30 * 86400000).toISOString().slice(0, 10);
  }
  $('consents').replaceChildren(...consents.map(consentCard));
  $('consents-empty').hidden = consents.length > 0;
  $('apps').replaceChildren(...apps.map(appCard));
  $('apps-empty').hidden = apps.length > 0;
}

const APP_SCOPE = { 'certlib.me.read': '查看我的证照和记录', 'certlib.me.manage': '管理我的授权设置' };

function appCard(a) {
  return el('li', { class: 'card app', dataset: { clientId: a.clientId } },
    el('div', { class: 'title' }, el('span', null, a.name)),
    details([['权限', a.scopes.map(s => APP_SCOPE[s] || s).join('、')], ['授权时间', dateTime(a.grantedAt)]]),
    el('div', { class: 'actions' }, el('button', { type: 'button', class: 'revoke', onclick: () => revokeApp(a) }, '撤销')));
}

async function revokeApp(a) {
  showError('');
  try {
    await api(`/api/v1/me/authorized-clients/${encodeURIComponent(a.clientId)}`, { method: 'DELETE' });
    await loadConsents();
  } catch (e) {
    showError(e.message);
  }
}

function consentCard(c) {
  const scope = c.serviceItem ? `服务事项：${itemName(c.serviceItem)}` : `证照类型：${c.typeCodes.map(t => typeOf(t)?.name || t).join('、')}`;
  return el('li', { class: 'card consent', dataset: { id: c.id, state: c.state, department: c.department.code } },
    el('div', { class: 'title' }, el('span', null, c.department.name || c.department.code), el('span', { class: 'status ' + c.state }, CONSENT_STATE[c.state] || c.state)),
    details([['范围', scope], ['授权时间', dateTime(c.createdAt)], ['有效期至', dateTime(c.expiresAt)], ['撤回时间', c.withdrawnAt ? dateTime(c.withdrawnAt) : '']]),
    c.state === 'active'
      ? el('div', { class: 'actions' }, el('button', { type: 'button', class: 'withdraw', onclick: () => withdraw(c) }, '撤回授权'))
      : null);
}

async function setConsentRequired() {
  const box = $('consent-required');
  const wanted = box.checked;
  box.disabled = true;
  showError('');
  try {
    const settings = await json('/api/v1/me/settings', { method: 'PUT', json: { consentRequired: wanted } });
    box.checked = settings.consentRequired;
    box.dataset.saved = String(settings.consentRequired);
  } catch (e) {
    box.checked = !wanted;
    showError(e.message);
  } finally {
    box.disabled = false;
  }
}

async function grant(event) {
  event.preventDefault();
  showError('');
  const byItem = document.querySelector('input[name="scope"]:checked').value === 'item';
  const body = {
    department: $('grant-department').value,
    expiresAt: new Date(`${$('grant-expires').value}T23:59:59`).toISOString(),
  };
  if (byItem) {
    body.serviceItem = $('grant-item').value;
  } else {
    body.typeCodes = [...document.querySelectorAll('input[name="grant-type"]:checked')].map(i => i.value);
    if (body.typeCodes.length === 0) {
      showError('请至少选择一种证照类型。');
      return;
    }
  }
  $('grant-submit').disabled = true;
  try {
    await json('/api/v1/me/consents', { method: 'POST', json: body });
    await loadConsents();
  } catch (e) {
    showError(e.message);
  } finally {
    $('grant-submit').disabled = false;
  }
}

async function withdraw(c) {
  showError('');
  try {
    await json(`/api/v1/me/consents/${encodeURIComponent(c.id)}/withdraw`, { method: 'POST' });
    await loadConsents();
  } catch (e) {
    showError(e.message);
  }
}

function scopeChanged() {
  const byItem = document.querySelector('input[name="scope"]:checked').value === 'item';
  $('grant-types').hidden = byItem;
  $('grant-item-box').hidden = !byItem;
}

// ---- 用证记录 ----

async function loadLog() {
  await loadDirectory();
  if (state.certificates.length === 0) state.certificates = await json(`${base()}/certificates`);
  const page = await json(`${base()}/access-log?page=${state.logPage}&pageSize=${PAGE_SIZE}`);
  $('log').replaceChildren(...page.items.map(logCard));
  $('log-empty').hidden = page.items.length > 0;
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  $('log-page').textContent = `第 ${page.page} / ${pages} 页，共 ${page.total} 条`;
  $('log-prev').disabled = page.page <= 1;
  $('log-next').disabled = page.page >= pages;
}

function certificateLabel(id) {
  const c = state.certificates.find(x => x.id === id);
  return c ? `${typeOf(c.typeCode)?.name || c.typeCode}（${c.number}）` : id;
}

function logCard(e) {
  return el('li', { class: 'card access', dataset: { id: e.id, result: e.result, department: e.department?.code || '' } },
    el('div', { class: 'title' }, el('span', null, e.department?.name || e.department?.code || '平台管理员'), el('span', { class: 'status ' + e.result }, RESULT[e.result] || e.result)),
    details([
      ['时间', dateTime(e.at)],
      ['方式', ACTION[e.action] || e.action],
      ['事由', e.purpose],
      ['服务事项', e.serviceItem ? itemName(e.serviceItem) : ''],
      ['涉及证照', e.certificateIds.map(certificateLabel).join('、')],
    ]));
}

// ---- 身份切换: act for an organisation I represent ----

async function loadOrganizations() {
  state.organizations = await json('/api/v1/me/organizations');
  const select = $('acting');
  select.replaceChildren(el('option', { value: '' }, '本人'),
    ...state.organizations.map(o => el('option', { value: o.creditCode }, `${o.name}（${ROLE[o.role] || o.role}）`)));
  select.hidden = state.organizations.length === 0;
}

async function switchActing() {
  const code = $('acting').value;
  let failure = '';
  try {
    // Switching is audited by the service; it answers 403 once I am no longer the organisation's representative.
    state.acting = code ? await json(`/api/v1/me/organizations/${encodeURIComponent(code)}/switch`, { method: 'POST' }) : null;
  } catch (e) {
    state.acting = null;
    $('acting').value = '';
    failure = e.message;
  }
  document.body.dataset.acting = state.acting?.creditCode || '';
  state.certificates = [];
  state.logPage = 1;
  $('tab-consents').hidden = !!state.acting; // organisations are public registrations: no consents
  $('certificates-title').textContent = state.acting ? `${state.acting.name}的证照` : '我的证照';
  $('acting-note').textContent = state.acting ? `您正以${ROLE[state.acting.role] || state.acting.role}身份代表该单位办理，每次切换都有记录。` : '';
  $('acting-note').hidden = !state.acting;
  await show('certificates');
  if (failure) showError(failure);
}

// ---- shell ----

const loaders = { certificates: loadCertificates, consents: loadConsents, log: loadLog };

async function show(view) {
  for (const tab of document.querySelectorAll('[role="tab"]')) tab.setAttribute('aria-selected', String(tab.dataset.view === view));
  for (const panel of document.querySelectorAll('[data-view-panel]')) panel.hidden = panel.dataset.viewPanel !== view;
  showError('');
  try {
    await loaders[view]();
    document.body.dataset.loaded = view;
  } catch (e) {
    showError(e instanceof ApiError ? e.message : '加载失败，请检查网络后重试。');
  }
}

async function start() {
  const session = await fetch('/portal/session', { credentials: 'same-origin', cache: 'no-store' });
  if (!session.ok) {
    location.assign('/portal/login');
    return;
  }
  const { name } = await session.json();
  $('greeting').textContent = name ? `${name}，您好` : '';
  for (const tab of document.querySelectorAll('[role="tab"]')) tab.addEventListener('click', () => show(tab.dataset.view));
  $('consent-required').addEventListener('change', setConsentRequired);
  $('grant').addEventListener('submit', grant);
  for (const radio of document.querySelectorAll('input[name="scope"]')) radio.addEventListener('change', scopeChanged);
  for (const radio of document.querySelectorAll('input[name="qr-form"]')) radio.addEventListener('change', () => { $('qr-purpose-box').hidden = qrForm() !== 'online'; });
  $('qr-form').addEventListener('submit', showQr);
  $('qr-close').addEventListener('click', closeQr);
  $('log-prev').addEventListener('click', () => { state.logPage--; loadLog().catch(e => showError(e.message)); });
  $('log-next').addEventListener('click', () => { state.logPage++; loadLog().catch(e => showError(e.message)); });
  $('acting').addEventListener('change', switchActing);
  await loadOrganizations().catch(e => showError(e.message));
  await show('certificates');
}

start();
