using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.CertStore.Tests")]
