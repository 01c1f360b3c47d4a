/* The sign-in page (docs/desk.md, "Sign-in and CSRF"). */
(function (root) {
  "use strict";
  const Desk = root.Desk;

  const form = document.getElementById("login-form");
  const username = document.getElementById("username");
  const password = document.getElementById("password");
  const submit = document.getElementById("login-submit");

  function invalid(field, isInvalid) {
    field.setAttribute("aria-invalid", isInvalid ? "true" : "false");
    field.classList.toggle("utrecht-textbox--invalid", isInvalid);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const name = username.value.trim();
    invalid(username, !name);
    invalid(password, !password.value);
    if (!name || !password.value) {
      Desk.showError("Vul uw gebruikersnaam en uw wachtwoord in.");
      (name ? password : username).focus();
      return;
    }
    Desk.busy(submit, async function () {
      try {
        await Desk.post(
          "/login",
          { username: name, password: password.value },
          { stayOn401: true }
        );
      } catch (error) {
        password.value = "";
        password.focus();
        return;
      }
      root.location.assign("/desk/");
    });
  });

  // Sign-in through the organisation (OpenID Connect), when the server offers it.
  Desk.get("/login-options", { quiet: true, stayOn401: true })
    .then(function (options) {
      if (options && options.oidc) document.getElementById("oidc").hidden = false;
    })
    .catch(function () {
      /* without options, the form is enough */
    });
})(window);
