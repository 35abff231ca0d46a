// The service worker (imported by /sw.js, which sets self.OFFLINE; audits/views/offline.py).
// It lets an auditor open and fill in an audit without a connection, and keeps nothing else:
// - static files: from the device first (the page's own are kept at install, others when first
//   fetched); their names carry a content hash in production, so a kept copy is never stale;
// - an audit's logging screen (/audits/<pk>/log/) the auditor has opened: from the network
//   first, kept on the device for when there is no connection;
// - any other page: always from the network; with no connection, the offline page (which
//   lists the audits this device keeps). No other page showing care data is ever kept.
// Writes (POST) are never touched: the page keeps unsent answers itself and sends them through
// the usual autosave when the connection returns (static/js/audit_form.js).
// The kept pages are deleted at sign-out (static/js/app.js) and whenever the sign-in page is
// shown to someone signed out (a session that ended, or another person on this device).
/* global OFFLINE */
"use strict";

var ASSETS = "rg-assets-" + OFFLINE.version;
var PAGES = OFFLINE.pagesCache;
var AUDIT_PAGE = new RegExp(OFFLINE.auditPage);

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(ASSETS).then(function (cache) {
    return cache.addAll(OFFLINE.assets.concat([OFFLINE.offlinePage]));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("rg-assets-") === 0 && name !== ASSETS;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromDeviceFirst(request) {
  return caches.match(request, { ignoreVary: true }).then(function (kept) {
    return kept || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(ASSETS).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

function offlinePage() {
  return caches.match(OFFLINE.offlinePage, { ignoreVary: true }).then(function (page) {
    return page || new Response("You are offline.", { status: 503, headers: { "Content-Type": "text/plain" } });
  });
}

function auditPage(event, path) {
  return fetch(event.request).then(function (response) {
    // Kept only when it is the page itself: a redirect (to sign-in, or to a submitted audit's
    // page) is "opaqueredirect", not ok, and removes what was kept.
    var keep = response.ok && new URL(response.url).pathname === path;
    var copy = keep ? response.clone() : null;
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return keep ? cache.put(path, copy) : cache.delete(path);
    }));
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(path, { ignoreVary: true });
    }).then(function (kept) { return kept || offlinePage(); });
  });
}

function otherPage(request, path) {
  return fetch(request).then(function (response) {
    // The sign-in page itself (not a redirect from it): nobody is signed in on this device.
    if (path === OFFLINE.signInPage && response.ok && new URL(response.url).pathname === path) {
      caches.delete(PAGES);
    }
    return response;
  }).catch(offlinePage);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf(OFFLINE.staticPrefix) === 0) {
    event.respondWith(fromDeviceFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(AUDIT_PAGE.test(url.pathname) ? auditPage(event, url.pathname) : otherPage(request, url.pathname));
  }
  // Anything else (htmx fragments, downloads) goes to the network as if there were no worker.
});

// Background Sync, where the browser has it: when the connection returns, ask the open audit
// pages to send what they keep (the answers live in the page's storage, which a worker cannot
// read, so a page must be open; each page also listens for "online" itself).
self.addEventListener("sync", function (event) {
  if (event.tag !== "audit-drafts") { return; }
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ type: "send-drafts" }); });
  }));
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES));
  }
});
