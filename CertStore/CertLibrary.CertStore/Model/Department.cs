namespace CertLibrary.CertStore.Model;

/// <summary>A government department, identified by its unified social credit code.</summary>
public sealed record Department(string Code, string Name, DateTimeOffset CreatedAt);
