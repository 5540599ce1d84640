// Service worker of the check-in desk (scope /manage/events/): when the network is gone, the
// desk page and its static files come from the cache, so a desk reloaded at the venue without
// a network still opens; its check-in list and queued arrivals live in localStorage
// (checkin_offline.js). Only GET requests of the desk page itself and of /static/ are
// answered; everything else goes to the network untouched.
"use strict";

var CACHE = "checkin-pages-v1";
var DESK = /^\/manage\/events\/\d+\/checkin$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var isDesk = DESK.test(url.pathname) && !url.search;
  var isStatic = url.pathname.indexOf("/static/") === 0;
  if (!isDesk && !isStatic) { return; }
  event.respondWith(fetch(request).then(function (response) {
    // keep fresh copies; never a redirect (a login page) in place of the desk
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (cached) { return cached || Response.error(); });
  }));
});
