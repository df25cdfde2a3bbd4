//! Pure domain logic of Innova. No I/O: everything here is a function of its arguments.
