using System.Globalization;
using System.Text.Json.Nodes;
using CertLibrary.Identifiers;

namespace CertLibrary.Cli.Import;

/// <summary>
/// Checks every row before anything is sent: identity number (GB 11643) or credit code (GB 32100), type code, name, licence number, dates, and
/// duplicates within the file (same type and licence number). Whether the type exists and the department may issue
/// it, and the face fields against the type's schema, are the server's to judge; it answers those per row.
/// </summary>
internal sealed class RowValidator(TimeProvider time)
{
    /// <summary>A plain date in the file is a day in China Standard Time.</summary>
    public static readonly TimeSpan PlainDateOffset = TimeSpan.FromHours(8);

    public (IReadOnlyList<ValidRow> Valid, IReadOnlyList<InvalidRow> Invalid) Validate(IReadOnlyList<SourceRow> rows)
    {
        var valid = new List<ValidRow>();
        var invalid = new List<InvalidRow>();
        var firstLineOf = new Dictionary<(string Type, string Number), int>();
        foreach (var row in rows)
        {
            var errors = new List<RowError>(row.ReadErrors);
            // A credit code is a public registration: reports show it whole.
            var organization = row.CreditCode is not null && row.IdNumber is null;
            var masked = organization ? row.CreditCode! : Mask(row.IdNumber);

            if (row.TypeCode is null)
            {
                errors.Add(new RowError("typeCode", "is required"));
            }
            else if (!CertificateTypeCode.TryParse(row.TypeCode, out _, out var typeError))
            {
                errors.Add(new RowError("typeCode", typeError));
            }

            CitizenId holder = default;
            CreditCode company = default;
            if (row.IdNumber is not null && row.CreditCode is not null)
            {
                errors.Add(new RowError("creditCode", "give either idNumber (a citizen) or creditCode (an organisation), not both"));
            }
            else if (organization)
            {
                if (!CreditCode.TryParse(row.CreditCode, out company, out var codeError))
                {
                    errors.Add(new RowError("creditCode", codeError));
                }
            }
            else if (row.IdNumber is null)
            {
                errors.Add(new RowError("idNumber", "is required (or creditCode for an organisation)"));
            }
            else if (!CitizenId.TryParse(row.IdNumber, time, out holder, out var idError))
            {
                errors.Add(new RowError("idNumber", WithoutDigitsOf(row.IdNumber, idError)));
            }

            // Registered organisation names run longer than personal names.
            var maxName = organization ? 200 : 64;
            if (row.Name is null || row.Name.Length > maxName)
            {
                errors.Add(new RowError("name", row.Name is null ? "is required" : $"has more than {maxName} characters"));
            }

            if (row.Number is null || row.Number.Length > 64)
            {
                errors.Add(new RowError("number", row.Number is null ? "is required" : "has more than 64 characters"));
            }

            var validFrom = ParseTime(row.ValidFrom, endOfDay: false, "validFrom", errors);
            var validUntil = ParseTime(row.ValidUntil, endOfDay: true, "validUntil", errors);
            if (validFrom is { } from && validUntil is { } until && until <= from)
            {
                errors.Add(new RowError("validUntil", "must be after validFrom"));
            }

            if (row.TypeCode is not null && row.Number is not null)
            {
                var key = (row.TypeCode.ToUpperInvariant(), row.Number);
                if (firstLineOf.TryGetValue(key, out var first))
                {
                    errors.Add(new RowError("number", $"duplicate of line {first} (same typeCode and number)"));
                }
                else
                {
                    firstLineOf[key] = row.Line;
                }
            }

            if (errors.Count > 0)
            {
                invalid.Add(new InvalidRow(row.Line, masked, errors));
                continue;
            }

            var request = new JsonObject
            {
                ["typeCode"] = row.TypeCode!.ToUpperInvariant(),
                ["holder"] = organization
                    ? new JsonObject { ["creditCode"] = company.ToString(), ["name"] = row.Name }
                    : new JsonObject { ["idNumber"] = holder.ToString(), ["name"] = row.Name },
                ["number"] = row.Number,
            };
            if (validFrom is { } f)
            {
                request["validFrom"] = Rfc3339(f);
            }

            if (validUntil is { } u)
            {
                request["validUntil"] = Rfc3339(u);
            }

            request["fields"] = row.Fields.DeepClone();
            valid.Add(new ValidRow(row.Line, row.Number!, organization ? company.ToString() : holder.Masked, request));
        }

        return (valid, invalid);
    }

    /// <summary>The identity number as reports show it: area code and last four characters only.</summary>
    public static string Mask(string? idNumber) => idNumber switch
    {
        null => "(none)",
        { Length: 18 } => string.Concat(idNumber.AsSpan(0, 6), "********", idNumber.AsSpan(14, 4)),
        _ => $"({idNumber.Length} characters, not shown)",
    };

    // The parser names the birth-date digits it rejected; a report must not carry them.
    private static string WithoutDigitsOf(string idNumber, string reason) =>
        idNumber.Length >= 14 ? reason.Replace(idNumber.Substring(6, 8), "********", StringComparison.Ordinal) : reason;

    private static DateTimeOffset? ParseTime(string? text, bool endOfDay, string field, List<RowError> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            // validFrom 2020-05-20 starts that day; validUntil 2030-05-19 includes that day (ends at the next midnight).
            var day = endOfDay ? date.AddDays(1) : date;
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), PlainDateOffset);
        }

        if (text.Length >= 20 && (text.EndsWith('Z') || text.EndsWith('z') || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
        {
            return instant;
        }

        errors.Add(new RowError(field, "expected yyyy-MM-dd (a day in China Standard Time) or an RFC 3339 time with offset, e.g. 2020-05-20T00:00:00+08:00"));
        return null;
    }

    private static string Rfc3339(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
