'use strict';
// Posts the logout form to the identity provider at once (no inline script: the CSP allows scripts from this origin only).
document.getElementById('endsession').submit();
