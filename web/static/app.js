// Progressive enhancement for every page: GOV.UK Frontend classes and components.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
import("/govuk/govuk-frontend.min.js")
  .then(function (govuk) { govuk.initAll(); })
  .catch(function () { /* styles still work without the GOV.UK scripts */ });
