/// Docker-style names (`adjective_surname`) for containers created without `--name`, and for services created
/// without one (the Docker daemon names those the same way).
public enum NameGenerator {
    private static let adjectives = [
        "admiring", "agile", "bold", "brave", "busy", "calm", "clever", "cool", "eager", "elegant", "fervent",
        "focused", "gallant", "gifted", "happy", "jolly", "keen", "kind", "lucid", "modest", "nifty", "optimistic",
        "peaceful", "quirky", "relaxed", "serene", "sharp", "stoic", "tender", "upbeat", "vibrant", "wizardly",
        "youthful", "zealous",
    ]
    private static let surnames = [
        "albattani", "babbage", "bell", "bohr", "curie", "darwin", "einstein", "euler", "fermat", "feynman",
        "galileo", "gauss", "hopper", "hypatia", "johnson", "kepler", "knuth", "lamarr", "lovelace", "meitner",
        "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "turing", "wozniak", "yonath",
    ]

    /// A name not in `taken`; after a few collisions a digit is appended, as Docker does.
    public static func generate(avoiding taken: (String) -> Bool) -> String {
        for attempt in 0..<10 {
            var name = "\(adjectives.randomElement()!)_\(surnames.randomElement()!)"
            if attempt > 3 { name += String(Int.random(in: 0..<10)) }
            if !taken(name) { return name }
        }
        return "shoal_" + String(UInt32.random(in: 0..<UInt32.max), radix: 36)
    }
}
