// The offline page (templates/audits/offline.html): links to the audit pages this device keeps,
// read from the service worker's cache, each with the title it was kept with.
(function () {
  "use strict";
  var list = document.getElementById("kept-audits");
  if (!list || !window.caches) { return; }
  caches.open("rg-audit-pages").then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        return cache.match(request).then(function (response) { return response.text(); }).then(function (html) {
          var title = new DOMParser().parseFromString(html, "text/html").title || request.url;
          return { url: new URL(request.url).pathname, title: title };
        });
      }));
    });
  }).then(function (pages) {
    if (!pages.length) { return; }
    list.textContent = "";
    pages.forEach(function (page) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = page.url;
      link.textContent = page.title;
      item.appendChild(link);
      list.appendChild(item);
    });
  });
})();
