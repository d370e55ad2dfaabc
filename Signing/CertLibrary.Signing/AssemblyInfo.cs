using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.Signing.Tests")]
[assembly: InternalsVisibleTo("CertLibrary.Bench")]
