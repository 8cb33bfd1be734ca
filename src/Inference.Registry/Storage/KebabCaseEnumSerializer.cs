using System.Collections.Concurrent;
using System.Text;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace Inference.Registry.Storage;

/// <summary>
/// Stores enums as the kebab-case strings the registry's documents use (<c>in-progress</c>, <c>blue-green</c>).
/// Hand-written: the driver's string representation keeps C# member names.
/// </summary>
internal sealed class KebabCaseEnumSerializer<TEnum> : StructSerializerBase<TEnum>
    where TEnum : struct, Enum
{
    private static readonly ConcurrentDictionary<string, TEnum> ByName = new(StringComparer.Ordinal);

    static KebabCaseEnumSerializer()
    {
        foreach (var value in Enum.GetValues<TEnum>())
        {
            ByName[ToKebab(value)] = value;
        }
    }

    public override void Serialize(BsonSerializationContext context, BsonSerializationArgs args, TEnum value) =>
        context.Writer.WriteString(ToKebab(value));

    public override TEnum Deserialize(BsonDeserializationContext context, BsonDeserializationArgs args)
    {
        var text = context.Reader.ReadString();
        return ByName.TryGetValue(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}; expected one of {string.Join(", ", ByName.Keys)}.");
    }

    public static string ToKebab(TEnum value)
    {
        var name = value.ToString();
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('-');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }
}

/// <summary>The spelling every enum of the registry has on the wire, in BSON and in the CLI's JSON alike.</summary>
public static class RegistryNames
{
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum => KebabCaseEnumSerializer<TEnum>.ToKebab(value);

    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(Of(candidate), text, StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    public static string All<TEnum>()
        where TEnum : struct, Enum => string.Join("|", Enum.GetValues<TEnum>().Select(Of));

    internal static void Register<TEnum>()
        where TEnum : struct, Enum => BsonSerializer.TryRegisterSerializer(new KebabCaseEnumSerializer<TEnum>());

    internal static BsonValue Bson<TEnum>(TEnum value)
        where TEnum : struct, Enum => new BsonString(Of(value));
}
