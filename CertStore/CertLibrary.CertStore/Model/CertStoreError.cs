namespace CertLibrary.CertStore.Model;

/// <summary>Kinds of refusal, mapped by hosts to HTTP status codes and Problem Details types.</summary>
public enum CertStoreErrorKind
{
    Validation,
    Forbidden,
    NotFound,
    Conflict,
}

/// <summary>Why an operation was refused. <see cref="Errors"/> names each bad field for validation errors.</summary>
/// <param name="Kind">The kind of refusal.</param>
/// <param name="Code">Stable short code, the last segment of the Problem Details <c>type</c> URI.</param>
/// <param name="Detail">Human-readable explanation; never contains personal data.</param>
/// <param name="Errors">Field path → messages, for validation errors.</param>
public sealed record CertStoreError(CertStoreErrorKind Kind, string Code, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    public static CertStoreError Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(CertStoreErrorKind.Validation, "validation", "One or more fields are invalid.", errors);

    public static CertStoreError Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static CertStoreError NotFound(string what) => new(CertStoreErrorKind.NotFound, "not-found", $"{what} was not found.");
}

/// <summary>A value or the reason there is none.</summary>
public readonly record struct CertStoreResult<T>(T? Value, CertStoreError? Error)
{
    public bool Succeeded => Error is null;

    public static implicit operator CertStoreResult<T>(T value) => new(value, null);

    public static implicit operator CertStoreResult<T>(CertStoreError error) => new(default, error);
}
