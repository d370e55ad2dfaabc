using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CertLibrary.TransparencyLog.Tests")]
