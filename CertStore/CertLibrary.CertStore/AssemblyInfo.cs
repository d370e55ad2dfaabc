using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.CertStore.Tests")]
[assembly: InternalsVisibleTo("CertLibrary.Bench")]
