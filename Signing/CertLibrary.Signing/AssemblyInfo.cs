using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.Signing.Tests")]
[assembly: InternalsVisibleTo("CertLibrary.Signing.Sm2")]
[assembly: InternalsVisibleTo("CertLibrary.Bench")]
