using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.Identity.Tests")]
[assembly: InternalsVisibleTo("CertLibrary.Api.Tests")] // tests mint tokens with the provider's own key to probe the Api's token checks
