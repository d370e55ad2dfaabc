using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.Identifiers.Tests")]
