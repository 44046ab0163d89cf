/*
 * Affable first-party tracker (ES5, no dependencies). Served at {AFFABLE}/js/affable.js.
 *   <script src="https://AFFABLE_HOST/js/affable.js" data-program="kartra" defer></script>
 * Options: data-program (slug), data-ref-param (default "ref"), data-cookie-days (default 30).
 *
 * 1. Landing URL ?aff_click=<id> (added by GET /r/{code}): stored as the latest click.
 * 2. Else ?<ref-param>=<code>: records a click with (CORS, no credentials)
 *      GET {AFFABLE origin}/api/v1/track/click?code=<code>&landing=<page URL>[&program=<slug>]
 *      200 application/json {"click_id": "<id>"}; anything else is ignored, and the code alone
 *      is kept as Affable.referralCode().
 * 3. The id ([A-Za-z0-9_-]{1,64}, others ignored) is kept first-party: cookie aff_click on this
 *    site (Max-Age = days x 86400, Path=/, SameSite=Lax, Secure on https) and localStorage,
 *    latest only (R2.2: last click wins).
 * 4. Checkout: fills <input name="aff_click">, adds one to <form data-affable>, appends
 *    client_reference_id to https://buy.stripe.com links and aff_click to <a data-affable>.
 *    window.Affable = { clickId(), referralCode(), decorate(url) }.
 * It strips nothing from the URL and never throws.
 */
/* global window, document */
(function (w, d) {
  'use strict';
  if (!w || !d || (w.Affable && w.Affable.version)) return;
  var ID = /^[A-Za-z0-9_-]{1,64}$/;
  var STRIPE = /^https:\/\/buy\.stripe\.com(?:[/?#]|$)/i;
  var CLICK = 'aff_click';
  var REF = 'aff_ref';
  var written = {};

  function valid(v) { return typeof v === 'string' && ID.test(v) ? v : null; }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- ES5 needs a catch binding.
  function attempt(f, fallback) { try { return f(); } catch (e) { return fallback; } }

  function findScript() {
    if (d.currentScript) return d.currentScript;
    var all = d.getElementsByTagName('script');
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/affable(\.min)?\.js(?:[?#]|$)/.test(all[i].src || '')) return all[i];
    }
    return null;
  }
  var script = findScript();
  function option(name) { return script ? script.getAttribute(name) : null; }
  var program = option('data-program');
  var refParam = option('data-ref-param') || 'ref';
  var days = parseInt(option('data-cookie-days'), 10);
  if (!(days > 0 && days <= 3650)) days = 30;
  var origin = (function () {
    var m = /^(https?:\/\/[^/?#]+)/i.exec(script ? script.src : '');
    return m ? m[1] : '';
  })();

  function param(query, name) {
    var parts = query.replace(/^\?/, '').split('&');
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split('=');
      if (attempt(function () { return decodeURIComponent(kv[0]); }) === name) {
        return attempt(function () { return decodeURIComponent((kv[1] || '').replace(/\+/g, ' ')); }, null);
      }
    }
    return null;
  }

  function readCookie(name) {
    var parts = attempt(function () { return d.cookie; }, '').split(/;\s*/);
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].indexOf(name + '=') === 0) return valid(parts[i].slice(name.length + 1));
    }
    return null;
  }

  function read(name) {
    var fromCookie = readCookie(name);
    if (fromCookie) return fromCookie;
    return attempt(function () {
      var saved = JSON.parse(w.localStorage.getItem(name));
      return saved && saved.exp > new Date().getTime() ? valid(saved.id) : null;
    }, null);
  }

  function save(name, id) {
    var secure = w.location.protocol === 'https:' ? '; Secure' : '';
    var age = id ? days * 86400 : 0;
    attempt(function () { d.cookie = name + '=' + (id || '') + '; Max-Age=' + age + '; Path=/; SameSite=Lax' + secure; });
    attempt(function () {
      if (id) w.localStorage.setItem(name, JSON.stringify({ id: id, exp: new Date().getTime() + age * 1000 }));
      else w.localStorage.removeItem(name);
    });
  }

  function withParam(url, name, value, keepForeign) {
    var hash = '';
    var at = url.indexOf('#');
    if (at >= 0) { hash = url.slice(at); url = url.slice(0, at); }
    var q = url.indexOf('?');
    var base = q >= 0 ? url.slice(0, q) : url;
    var kept = [];
    var parts = q >= 0 ? url.slice(q + 1).split('&') : [];
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      var key = parts[i].split('=')[0];
      var current = parts[i].slice(key.length + 1);
      // A client_reference_id the page set itself (not one we wrote) is the merchant's: keep it.
      if (key === name && keepForeign && !written[current]) return url + hash;
      if (key !== name) kept.push(parts[i]);
    }
    kept.push(name + '=' + encodeURIComponent(value));
    return base + '?' + kept.join('&') + hash;
  }

  function decorate(url) {
    return attempt(function () {
      var id = read(CLICK);
      if (typeof url !== 'string' || !id) return url;
      written[id] = true;
      return STRIPE.test(url) ? withParam(url, 'client_reference_id', id, true) : withParam(url, CLICK, id, false);
    }, url);
  }

  function decorateLink(a) {
    var href = a.getAttribute('href') || '';
    if (STRIPE.test(href) || a.hasAttribute('data-affable')) {
      var next = decorate(href);
      if (next !== href) a.setAttribute('href', next);
    }
  }

  function fillForm(form) {
    var id = read(CLICK);
    if (!id) return;
    var inputs = form.querySelectorAll('input[name="' + CLICK + '"]');
    if (!inputs.length) {
      var input = d.createElement('input');
      input.type = 'hidden';
      input.name = CLICK;
      form.appendChild(input);
      inputs = [input];
    }
    for (var i = 0; i < inputs.length; i++) inputs[i].value = id;
  }

  function apply() {
    attempt(function () {
      var id = read(CLICK);
      var inputs = d.querySelectorAll('input[name="' + CLICK + '"]');
      for (var i = 0; id && i < inputs.length; i++) inputs[i].value = id;
      var forms = d.querySelectorAll('form[data-affable]');
      for (var j = 0; j < forms.length; j++) fillForm(forms[j]);
      var links = d.getElementsByTagName('a');
      for (var k = 0; k < links.length; k++) decorateLink(links[k]);
    });
  }

  function closest(node, tag) {
    while (node && node.nodeName !== tag) node = node.parentNode;
    return node;
  }

  function recordClick(code) {
    if (!origin || typeof w.fetch !== 'function') return;
    var url = origin + '/api/v1/track/click?code=' + encodeURIComponent(code) +
      '&landing=' + encodeURIComponent(w.location.href) + (program ? '&program=' + encodeURIComponent(program) : '');
    attempt(function () {
      w.fetch(url, { mode: 'cors', credentials: 'omit' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          var id = valid(body && body.click_id);
          if (id) { save(CLICK, id); apply(); }
        })['catch'](function () {});
    });
  }

  attempt(function () {
    var search = w.location.search || '';
    var click = valid(param(search, CLICK));
    var code = click ? null : valid(param(search, refParam));
    if (click) {
      // R2.2: the newest click replaces whatever this browser held, code included.
      save(CLICK, click);
      save(REF, null);
    } else if (code) {
      save(CLICK, null);
      save(REF, code);
      recordClick(code);
    }
  });

  w.Affable = {
    version: 1,
    clickId: function () { return attempt(function () { return read(CLICK); }, null); },
    referralCode: function () { return attempt(function () { return read(REF); }, null); },
    decorate: decorate
  };

  attempt(function () {
    d.addEventListener('click', function (e) {
      attempt(function () { var a = closest(e.target, 'A'); if (a) decorateLink(a); });
    }, true);
    d.addEventListener('submit', function (e) {
      attempt(function () { var f = closest(e.target, 'FORM'); if (f && f.hasAttribute('data-affable')) fillForm(f); });
    }, true);
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', apply);
    else apply();
  });
})(typeof window !== 'undefined' ? window : null, typeof document !== 'undefined' ? document : null);
