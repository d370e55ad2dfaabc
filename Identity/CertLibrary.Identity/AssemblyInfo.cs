using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.Identity.Tests")]
