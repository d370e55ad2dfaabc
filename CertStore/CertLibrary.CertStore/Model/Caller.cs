namespace CertLibrary.CertStore.Model;

/// <summary>Who is calling: the OAuth client, its department (null for administrators without one) and whether it is an administrator.</summary>
public sealed record Caller(string ClientId, string? DepartmentCode, bool IsAdmin);
