//! Worker handlers. Each Lambda binary in `src/bin` is a thin `main` around one of these.
