namespace CertLibrary.CertStore.Model;

/// <summary>
/// The input errors a command carries from the API's parsing of its body: an identifier that did not parse is null in
/// the command and its reason is here, keyed by its JSON path (<c>holder.idNumber</c>, <c>typeCodes[2]</c>).
/// </summary>
public static class CommandErrors
{
    /// <summary>No input errors.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> None = new Dictionary<string, string[]>(StringComparer.Ordinal);

    /// <summary>
    /// Puts the input error of <paramref name="key"/> into <paramref name="errors"/>, where the manager would have found it
    /// (so the problem lists its keys in body order). A null identifier without a reason is a caller's bug.
    /// </summary>
    public static void Take(this IReadOnlyDictionary<string, string[]> input, string key, Dictionary<string, string[]> errors) =>
        errors[key] = input.TryGetValue(key, out var messages)
            ? messages
            : throw new ArgumentException($"A command left {key} empty without saying why in InputErrors.", nameof(input));
}
