/* Starts Swagger UI 5 on /docs (a file, not an inline script: the page needs no
 * 'unsafe-inline'). The schema URL comes from the page's data-openapi. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null  // no badge fetched from another site
  });
})();
