using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.Signing.Tests")]
