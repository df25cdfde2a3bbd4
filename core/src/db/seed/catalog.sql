-- Demo data, part 1 (data-model.md §5.2-§5.7): organisation, school, subject, course,
-- curriculum, legacy units and topics, the 17 domains / 106 subdomains, the "W1 backfill" (one
-- unit per domain, one topic per subdomain), the 8 exercises and the 17 curated error tags.
-- The demo users, their profiles, the course teacher, the enrollments and the parent link are
-- written from Rust (innova_core::db::seed::DEMO_USERS), after this file, in the same
-- transaction.
--
-- Idempotent: rows with fixed ids are upserted by id, the others by their natural key (codes);
-- random ids are generated only on first insert. Error tags are never updated once they exist.

-- 5.2 Organisation, school, subject, course --------------------------------------------------

INSERT INTO organizations (id, name, country, plan)
VALUES ('seed-org-001', 'Innova Demo Network', 'CL', 'PILOT')
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, country = EXCLUDED.country, plan = EXCLUDED.plan;

INSERT INTO schools (id, organization_id, name, rbd)
VALUES ('seed-school-001', 'seed-org-001', 'Escuela Innova Demo', 'DEMO-001')
ON CONFLICT (id) DO UPDATE
    SET organization_id = EXCLUDED.organization_id, name = EXCLUDED.name, rbd = EXCLUDED.rbd;

-- The subject's upsert key is its code: an existing MATH subject keeps its id.
INSERT INTO subjects (id, code, name, language)
VALUES ('seed-subject-001', 'MATH', 'Matemáticas', 'es')
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, language = EXCLUDED.language;

INSERT INTO courses (id, school_id, subject_id, name, grade_level, academic_year)
VALUES ('seed-course-001', 'seed-school-001', (SELECT id FROM subjects WHERE code = 'MATH'),
        '7° A · Matemáticas', 7, 2026)
ON CONFLICT (id) DO UPDATE
    SET school_id = EXCLUDED.school_id, subject_id = EXCLUDED.subject_id, name = EXCLUDED.name,
        grade_level = EXCLUDED.grade_level, academic_year = EXCLUDED.academic_year;

-- 5.3 Curriculum and legacy units -------------------------------------------------------------

INSERT INTO curricula (id, subject_id, country, name, version)
VALUES ('seed-curriculum-001', (SELECT id FROM subjects WHERE code = 'MATH'), 'CL',
        'Matemáticas básica chilena 3°-6° 2026', '1.0')
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;

INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)
VALUES ('seed-unit-001', 'seed-curriculum-001', 3, 1, 'U1-3B-NUMEROS', 'El mundo de los números'),
       ('seed-unit-003', 'seed-curriculum-001', 5, 3, 'U3-5B-FRACCIONES', 'Los animales — Fracciones')
ON CONFLICT (id) DO UPDATE
    SET grade_level = EXCLUDED.grade_level, sequence = EXCLUDED.sequence, code = EXCLUDED.code,
        name = EXCLUDED.name;

-- 5.4 Domains and subdomains ------------------------------------------------------------------

CREATE TEMP TABLE seed_domains (seq int, code text, name text) ON COMMIT DROP;
INSERT INTO seed_domains VALUES
    (1, 'ARITH', 'Aritmética de números naturales'),
    (2, 'INT', 'Aritmética de enteros'),
    (3, 'FRACT', 'Fracciones'),
    (4, 'DEC', 'Números decimales'),
    (5, 'RATIO', 'Razones, proporciones y porcentajes'),
    (6, 'ALGEBRA', 'Álgebra (lineal y cuadrática)'),
    (7, 'POW', 'Potencias, raíces y exponentes'),
    (8, 'FUNC', 'Funciones'),
    (9, 'GEOM', 'Geometría plana'),
    (10, 'GEOM3D', 'Geometría 3D y volumen'),
    (11, 'TRIG', 'Trigonometría'),
    (12, 'STAT', 'Estadística y probabilidad'),
    (13, 'DATA', 'Tratamiento de datos'),
    (14, 'LOG', 'Logaritmos'),
    (15, 'SEQ', 'Sucesiones y series'),
    (16, 'COORD', 'Geometría analítica y vectores'),
    (17, 'TRANSV', 'Errores transversales');

CREATE TEMP TABLE seed_subdomains (domain_code text, code text, name text) ON COMMIT DROP;
INSERT INTO seed_subdomains VALUES
    ('ARITH', 'COUNT', 'Conteo'),
    ('ARITH', 'PLACE_VALUE', 'Valor posicional'),
    ('ARITH', 'ADD', 'Adición'),
    ('ARITH', 'SUB', 'Sustracción'),
    ('ARITH', 'MUL', 'Multiplicación'),
    ('ARITH', 'DIV', 'División'),
    ('ARITH', 'FACT_RECALL', 'Recuperación de hechos básicos'),
    ('INT', 'SIGN', 'Regla de los signos'),
    ('INT', 'ADD', 'Adición de enteros'),
    ('INT', 'SUB', 'Sustracción de enteros'),
    ('INT', 'MUL', 'Multiplicación de enteros'),
    ('INT', 'DIV', 'División de enteros'),
    ('INT', 'ABS', 'Valor absoluto'),
    ('INT', 'COMPARE', 'Comparación de enteros'),
    ('FRACT', 'REPR', 'Representación de fracciones'),
    ('FRACT', 'EQUIV', 'Fracciones equivalentes'),
    ('FRACT', 'REDUCE', 'Simplificación de fracciones'),
    ('FRACT', 'COMPARE', 'Comparación de fracciones'),
    ('FRACT', 'ADDSUB', 'Adición y sustracción de fracciones'),
    ('FRACT', 'MUL', 'Multiplicación de fracciones'),
    ('FRACT', 'DIV', 'División de fracciones'),
    ('FRACT', 'MIXED', 'Números mixtos'),
    ('DEC', 'REPR', 'Representación de decimales'),
    ('DEC', 'COMPARE', 'Comparación de decimales'),
    ('DEC', 'ADD', 'Adición de decimales'),
    ('DEC', 'SUB', 'Sustracción de decimales'),
    ('DEC', 'MUL', 'Multiplicación de decimales'),
    ('DEC', 'DIV', 'División de decimales'),
    ('DEC', 'ROUND', 'Redondeo'),
    ('DEC', 'FRACT_CONV', 'Conversión entre fracciones y decimales'),
    ('RATIO', 'RATIO', 'Razones'),
    ('RATIO', 'PROPORTION', 'Proporciones'),
    ('RATIO', 'PERCENT', 'Porcentajes'),
    ('RATIO', 'RULE_OF_THREE', 'Regla de tres'),
    ('ALGEBRA', 'EXPR', 'Expresiones algebraicas'),
    ('ALGEBRA', 'MONOMIAL', 'Monomios'),
    ('ALGEBRA', 'EQ_LINEAR', 'Ecuaciones lineales'),
    ('ALGEBRA', 'INEQ_LINEAR', 'Inecuaciones lineales'),
    ('ALGEBRA', 'SYSTEM_2X2', 'Sistemas de ecuaciones 2x2'),
    ('ALGEBRA', 'ABS_EQ', 'Ecuaciones con valor absoluto'),
    ('ALGEBRA', 'EXPAND', 'Desarrollo de productos'),
    ('ALGEBRA', 'FACTOR', 'Factorización'),
    ('ALGEBRA', 'EQ_QUAD', 'Ecuaciones cuadráticas'),
    ('ALGEBRA', 'INEQ_QUAD', 'Inecuaciones cuadráticas'),
    ('ALGEBRA', 'POLY', 'Polinomios'),
    ('POW', 'POWER', 'Potencias'),
    ('POW', 'ROOT', 'Raíces'),
    ('POW', 'RATIONAL_EXP', 'Exponentes racionales'),
    ('POW', 'RATIONALIZE', 'Racionalización'),
    ('FUNC', 'EVAL', 'Evaluación de funciones'),
    ('FUNC', 'DOMAIN', 'Dominio'),
    ('FUNC', 'RANGE', 'Recorrido'),
    ('FUNC', 'COMPOSITION', 'Composición de funciones'),
    ('FUNC', 'INVERSE', 'Función inversa'),
    ('FUNC', 'LINEAR', 'Función lineal y afín'),
    ('FUNC', 'QUAD', 'Función cuadrática'),
    ('FUNC', 'EXP', 'Función exponencial'),
    ('FUNC', 'RATIONAL', 'Función racional'),
    ('GEOM', 'ANGLE', 'Ángulos'),
    ('GEOM', 'TRIANGLE', 'Triángulos'),
    ('GEOM', 'QUAD_FIG', 'Cuadriláteros'),
    ('GEOM', 'CIRCLE', 'Circunferencia y círculo'),
    ('GEOM', 'AREA', 'Área'),
    ('GEOM', 'PERIMETER', 'Perímetro'),
    ('GEOM', 'SIMILARITY', 'Semejanza'),
    ('GEOM', 'CONGRUENCE', 'Congruencia'),
    ('GEOM', 'TRANSFORM', 'Transformaciones isométricas'),
    ('GEOM3D', 'PRISM', 'Prismas'),
    ('GEOM3D', 'CYLINDER', 'Cilindros'),
    ('GEOM3D', 'PYRAMID', 'Pirámides'),
    ('GEOM3D', 'CONE', 'Conos'),
    ('GEOM3D', 'SPHERE', 'Esferas'),
    ('GEOM3D', 'COMPOSITE', 'Cuerpos compuestos'),
    ('TRIG', 'RATIO', 'Razones trigonométricas'),
    ('TRIG', 'IDENTITY', 'Identidades trigonométricas'),
    ('TRIG', 'UNIT_CIRCLE', 'Circunferencia unitaria'),
    ('TRIG', 'RIGHT_TRIANGLE', 'Triángulo rectángulo'),
    ('TRIG', 'EQ_TRIG', 'Ecuaciones trigonométricas'),
    ('TRIG', 'GRAPH', 'Gráficos de funciones trigonométricas'),
    ('STAT', 'MEASURE_CENTRAL', 'Medidas de tendencia central'),
    ('STAT', 'MEASURE_DISPERSION', 'Medidas de dispersión'),
    ('STAT', 'PROB', 'Probabilidad'),
    ('STAT', 'COMBINATORICS', 'Combinatoria'),
    ('DATA', 'TABLE', 'Tablas'),
    ('DATA', 'BAR', 'Gráficos de barras'),
    ('DATA', 'LINE', 'Gráficos de líneas'),
    ('DATA', 'PIE', 'Gráficos circulares'),
    ('DATA', 'PICTOGRAM', 'Pictogramas'),
    ('DATA', 'FREQUENCY', 'Tablas de frecuencia'),
    ('LOG', 'DEF', 'Definición de logaritmo'),
    ('LOG', 'PROPERTY', 'Propiedades de los logaritmos'),
    ('LOG', 'EQ_LOG', 'Ecuaciones logarítmicas'),
    ('SEQ', 'PATTERN', 'Patrones'),
    ('SEQ', 'ARITHMETIC', 'Progresiones aritméticas'),
    ('SEQ', 'GEOMETRIC', 'Progresiones geométricas'),
    ('SEQ', 'RECURSIVE', 'Sucesiones recursivas'),
    ('COORD', 'PLOT', 'Ubicación en el plano cartesiano'),
    ('COORD', 'DISTANCE', 'Distancia entre puntos'),
    ('COORD', 'MIDPOINT', 'Punto medio'),
    ('COORD', 'LINE_EQ', 'Ecuación de la recta'),
    ('COORD', 'VECTOR', 'Vectores'),
    ('TRANSV', 'ALIGNMENT', 'Alineación'),
    ('TRANSV', 'TRANSPOSITION', 'Transposición'),
    ('TRANSV', 'NOTATION', 'Notación'),
    ('TRANSV', 'UNIT', 'Unidades de medida'),
    ('TRANSV', 'ORDER', 'Orden de las operaciones');

INSERT INTO domains (id, code, name)
SELECT gen_random_uuid()::text, code, name FROM seed_domains ORDER BY seq
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name;

INSERT INTO subdomains (id, domain_id, code, name)
SELECT gen_random_uuid()::text, d.id, s.code, s.name
FROM seed_subdomains s JOIN domains d ON d.code = s.domain_code
ON CONFLICT (domain_id, code) DO UPDATE SET name = EXCLUDED.name;

-- Legacy topics (§5.3), linked to their domain/subdomain ------------------------------------

INSERT INTO topics (id, unit_id, code, name, description, domain_id, subdomain_id)
SELECT t.id, t.unit_id, t.code, t.name, t.description, d.id, s.id
FROM (VALUES
        ('seed-topic-001', 'seed-unit-001', 'T-SUB-BORROW', 'Sustracción con préstamo',
         'Resta con reagrupación para 3°-4° básico', 'ARITH', 'SUB'),
        ('seed-topic-002', 'seed-unit-001', 'T-ADD-CARRY', 'Suma con llevada',
         'Suma con reagrupación de decenas', 'ARITH', 'ADD'),
        ('seed-topic-003', 'seed-unit-003', 'T-FRAC-SAME-DENOM',
         'Suma/resta de fracciones con mismo denominador', NULL, 'FRACT', 'ADDSUB')
     ) AS t(id, unit_id, code, name, description, domain_code, subdomain_code)
JOIN domains d ON d.code = t.domain_code
JOIN subdomains s ON s.domain_id = d.id AND s.code = t.subdomain_code
ON CONFLICT (id) DO UPDATE
    SET unit_id = EXCLUDED.unit_id, code = EXCLUDED.code, name = EXCLUDED.name,
        description = EXCLUDED.description, domain_id = EXCLUDED.domain_id,
        subdomain_id = EXCLUDED.subdomain_id;

-- T-ADD-CARRY comes before T-SUB-BORROW.
INSERT INTO topic_prerequisites (topic_id, prerequisite_topic_id)
VALUES ('seed-topic-001', 'seed-topic-002')
ON CONFLICT DO NOTHING;

-- 5.5 W1 backfill: one unit per domain (grade 3, sequence 1..17), one topic per subdomain ----

INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)
SELECT gen_random_uuid()::text, 'seed-curriculum-001', 3, seq, code, name
FROM seed_domains ORDER BY seq
ON CONFLICT (curriculum_id, code) DO UPDATE
    SET grade_level = EXCLUDED.grade_level, sequence = EXCLUDED.sequence, name = EXCLUDED.name;

INSERT INTO topics (id, unit_id, code, name, domain_id, subdomain_id)
SELECT gen_random_uuid()::text, u.id, s.code, s.name, d.id, s.id
FROM subdomains s
JOIN domains d ON d.id = s.domain_id
JOIN seed_domains sd ON sd.code = d.code
JOIN units u ON u.curriculum_id = 'seed-curriculum-001' AND u.code = d.code
ORDER BY sd.seq, s.code
ON CONFLICT (unit_id, code) DO UPDATE
    SET name = EXCLUDED.name, domain_id = EXCLUDED.domain_id, subdomain_id = EXCLUDED.subdomain_id;

-- 5.6 Exercises: all on the backfilled ARITH:SUB topic -----------------------------------------

INSERT INTO exercises (id, topic_id, source, content, irt_a, irt_b, status)
SELECT e.id,
       (SELECT t.id FROM topics t JOIN units u ON u.id = t.unit_id
        WHERE u.curriculum_id = 'seed-curriculum-001' AND u.code = 'ARITH' AND t.code = 'SUB'),
       'SYSTEM', jsonb_build_object('prompt', e.prompt, 'expectedAnswer', e.answer),
       e.irt_a, e.irt_b, 'ACTIVE'
FROM (VALUES
        ('seed-ex-sub-001', '53 - 26 = ?', 27, 1.2, -0.3),
        ('seed-ex-sub-002', '72 - 48 = ?', 24, 1.1, -0.1),
        ('seed-ex-sub-003', '81 - 35 = ?', 46, 1.3, 0.2),
        ('seed-ex-sub-004', '64 - 27 = ?', 37, 1.0, -0.5),
        ('seed-ex-sub-005', '300 - 47 = ?', 253, 1.4, 0.5),
        ('seed-ex-sub-006', '500 - 183 = ?', 317, 1.5, 0.8),
        ('seed-ex-sub-007', '13 - 7 = ?', 6, 0.8, -1.0),
        ('seed-ex-sub-008', '342 - 185 = ?', 157, 1.6, 0.9)
     ) AS e(id, prompt, answer, irt_a, irt_b)
ON CONFLICT (id) DO UPDATE
    SET topic_id = EXCLUDED.topic_id, source = EXCLUDED.source, content = EXCLUDED.content,
        irt_a = EXCLUDED.irt_a, irt_b = EXCLUDED.irt_b, status = EXCLUDED.status;

-- 5.7 The 17 curated error tags (CURATED, ACTIVE; an existing code is never updated) ---------

INSERT INTO error_tags (id, code, name, description, severity, topic_scope, subdomain_code,
                        domain_id, source, status)
SELECT gen_random_uuid()::text, t.code, t.name, t.description, t.severity::"ErrorSeverity",
       t.topic_scope, t.subdomain_code, d.id, 'CURATED', 'ACTIVE'
FROM (VALUES
        ('ARITH_SUB_BORROW_OMITTED_TENS_G3', 'Borrow omitido — decenas',
         'No pide prestado a las decenas: resta el dígito menor del mayor en la columna de las unidades.',
         'MED', 'T-SUB-BORROW', 'SUB', 'ARITH'),
        ('ARITH_SUB_BORROW_OMITTED_HUNDREDS_G3', 'Borrow omitido — centenas',
         'No pide prestado a las centenas: resta el dígito menor del mayor en la columna de las decenas.',
         'MED', 'T-SUB-BORROW', 'SUB', 'ARITH'),
        ('ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3', 'Minuendo y sustraendo invertidos',
         'Resta el minuendo del sustraendo en lugar del sustraendo del minuendo.',
         'HIGH', 'T-SUB-BORROW', 'SUB', 'ARITH'),
        ('ARITH_SUB_BORROW_FROM_ZERO_G3', 'Borrow desde cero — error',
         'Pide prestado a una columna con cero sin reagrupar desde la columna siguiente.',
         'HIGH', 'T-SUB-BORROW', 'SUB', 'ARITH'),
        ('ARITH_SUB_BORROW_PROPAGATION_STOP_G3', 'Propagación del borrow detenida',
         'El préstamo no se propaga a través de las columnas intermedias.',
         'MED', 'T-SUB-BORROW', 'SUB', 'ARITH'),
        ('ARITH_TRANSV_DIGIT_TRANSPOSITION', 'Transposición de dígitos',
         'Invierte el orden de dos dígitos al escribir el resultado.',
         'LOW', NULL, NULL, 'ARITH'),
        ('ARITH_TRANSV_COLUMN_MISALIGNMENT', 'Desalineación de columnas',
         'Alinea mal los números por columna antes de operar.',
         'MED', NULL, NULL, 'ARITH'),
        ('ARITH_TRANSV_FACT_ERROR', 'Error en hecho básico',
         'Se equivoca en una operación básica de un dígito.',
         'LOW', NULL, NULL, 'ARITH'),
        ('ARITH_ADD_CARRY_OMITTED_G3', 'Llevada omitida',
         'No suma la reserva a la columna siguiente.',
         'MED', 'T-ADD-CARRY', 'ADD', 'ARITH'),
        ('ARITH_ADD_CARRY_WRONG_COLUMN_G3', 'Llevada en columna incorrecta',
         'Suma la reserva en una columna que no corresponde.',
         'MED', 'T-ADD-CARRY', 'ADD', 'ARITH'),
        ('ARITH_TRANSV_PLACE_VALUE_ERROR', 'Error de valor posicional',
         'Confunde el valor posicional de los dígitos.',
         'MED', NULL, NULL, 'ARITH'),
        ('FRACT_ADDSUB_SUM_NUMERATOR_AND_DENOMINATOR_G5', 'Suma numeradores y denominadores',
         'Suma los numeradores y también los denominadores.',
         'HIGH', 'T-FRAC-SAME-DENOM', 'ADDSUB', 'FRACT'),
        ('FRACT_ADDSUB_IMPROPER_NOT_REDUCED_G5', 'Fracción impropia sin simplificar',
         'Deja el resultado como fracción impropia sin simplificar ni convertir.',
         'LOW', 'T-FRAC-SAME-DENOM', 'ADDSUB', 'FRACT'),
        ('FRACT_ADDSUB_INVERTED_FRACTION_G5', 'Fracción invertida',
         'Escribe el resultado con numerador y denominador intercambiados.',
         'MED', 'T-FRAC-SAME-DENOM', 'ADDSUB', 'FRACT'),
        ('FRACT_ADDSUB_WHOLE_NUMBER_LOST_G5', 'Parte entera perdida',
         'Pierde la parte entera al operar con números mixtos.',
         'HIGH', 'T-FRAC-SAME-DENOM', 'ADDSUB', 'FRACT'),
        ('CORRECT', 'Correcto', 'Respuesta correcta', 'LOW', NULL, NULL, NULL),
        ('UNCLASSIFIED', 'Sin clasificar',
         'No fue posible una clasificación determinista; el intento queda en cola para el LLM.',
         'MED', NULL, NULL, NULL)
     ) AS t(code, name, description, severity, topic_scope, subdomain_code, domain_code)
LEFT JOIN domains d ON d.code = t.domain_code
ON CONFLICT (code) DO NOTHING;
