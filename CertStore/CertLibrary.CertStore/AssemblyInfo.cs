using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.CertStore.Tests")]
[assembly: InternalsVisibleTo("CertLibrary.Bench")]

// The verification reader reads the generations of the cache keys of the certificate and key stores.
[assembly: InternalsVisibleTo("CertLibrary.CertStore.Verification")]
