-- Innova: the reference schema (end state of the reference system's Prisma migrations 6-11,
-- see spec/data-model.md), written in the same shape Prisma generates so that the catalogue of a
-- database created here is identical to one created by the reference system: TEXT ids without
-- server-side defaults, TIMESTAMP(3) without time zone, unique constraints as unique INDEXES,
-- Prisma's constraint/index names (truncated to 63 characters the way Prisma does), foreign keys
-- ON UPDATE CASCADE with RESTRICT (required) / SET NULL (optional) on delete, and the guarded
-- row-level-security block of reference migration 7.
--
-- `innova migrate --baseline` compares an existing database with core/src/db/expected_schema.txt
-- and records this migration as applied without running it: never edit this file once it has
-- been applied anywhere (sqlx checks its checksum); add a new migration instead.

-- CreateEnum
CREATE TYPE "ErrorSource" AS ENUM ('CURATED', 'LLM_GENERATED', 'FIELD_REPORTED');

-- CreateEnum
CREATE TYPE "ErrorStatus" AS ENUM ('ACTIVE', 'DRAFT', 'DEPRECATED');

-- CreateEnum
CREATE TYPE "ErrorSeverity" AS ENUM ('LOW', 'MED', 'HIGH', 'CRITICAL');

-- CreateEnum
CREATE TYPE "GuideStatus" AS ENUM ('UPLOADED', 'EXTRACTING', 'EXTRACTION_FAILED', 'GENERATING_SOLUTIONS', 'GENERATION_FAILED', 'REVIEW', 'PUBLISHED', 'ARCHIVED');

-- CreateEnum
CREATE TYPE "GuideQuestionStatus" AS ENUM ('EXTRACTED', 'NEEDS_REVIEW', 'APPROVED', 'EXCLUDED');

-- CreateEnum
CREATE TYPE "SolutionSource" AS ENUM ('PDF_PROVIDED', 'LLM_GENERATED', 'TEACHER_EDITED');

-- CreateEnum
CREATE TYPE "SubmissionStatus" AS ENUM ('UPLOADED', 'TRANSCRIBING', 'GRADING', 'GRADED', 'FAILED');

-- ---------------------------------------------------------------------------------------------
-- 2.1 Identity
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "supabase_uid" TEXT,
    "email" TEXT NOT NULL,
    "auth_role" TEXT,
    "full_name" TEXT,
    "locale" TEXT NOT NULL DEFAULT 'es-CL',
    "password_hash" TEXT,
    "password_reset_token_hash" TEXT,
    "password_reset_expires_at" TIMESTAMP(3),
    "token_version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "deleted_at" TIMESTAMP(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "teachers" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "display_name" TEXT,
    "bio" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "teachers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "students" (
    "id" TEXT NOT NULL,
    "user_id" TEXT,
    "external_email" TEXT,
    "display_name" TEXT NOT NULL,
    "birth_year" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMP(3),

    CONSTRAINT "students_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "parents" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "display_name" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "parents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "parent_links" (
    "parent_id" TEXT NOT NULL,
    "student_id" TEXT NOT NULL,
    "relationship" TEXT NOT NULL,
    "confirmed_at" TIMESTAMP(3),

    CONSTRAINT "parent_links_pkey" PRIMARY KEY ("parent_id","student_id")
);

-- ---------------------------------------------------------------------------------------------
-- 2.2 Organisation / courses
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "organizations" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "country" TEXT NOT NULL DEFAULT 'CL',
    "billing_email" TEXT,
    "plan" TEXT NOT NULL DEFAULT 'FREE',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "schools" (
    "id" TEXT NOT NULL,
    "organization_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "rbd" TEXT,
    "city" TEXT,
    "region" TEXT,
    "domain" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schools_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "courses" (
    "id" TEXT NOT NULL,
    "school_id" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "grade_level" INTEGER NOT NULL,
    "letter" TEXT,
    "academic_year" INTEGER NOT NULL,
    "external_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "archived_at" TIMESTAMP(3),

    CONSTRAINT "courses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "course_teachers" (
    "course_id" TEXT NOT NULL,
    "teacher_id" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'LEAD',
    "added_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "course_teachers_pkey" PRIMARY KEY ("course_id","teacher_id")
);

-- CreateTable
CREATE TABLE "enrollments" (
    "id" TEXT NOT NULL,
    "course_id" TEXT NOT NULL,
    "student_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "joined_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "left_at" TIMESTAMP(3),

    CONSTRAINT "enrollments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "classroom_invites" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "course_id" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3),
    "max_uses" INTEGER,
    "use_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "classroom_invites_pkey" PRIMARY KEY ("id")
);

-- ---------------------------------------------------------------------------------------------
-- 2.3 Curriculum
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "subjects" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "language" TEXT NOT NULL DEFAULT 'es',

    CONSTRAINT "subjects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "curricula" (
    "id" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "country" TEXT NOT NULL DEFAULT 'CL',
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL DEFAULT '1.0',
    "effective_from" TIMESTAMP(3),
    "effective_to" TIMESTAMP(3),

    CONSTRAINT "curricula_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "units" (
    "id" TEXT NOT NULL,
    "curriculum_id" TEXT NOT NULL,
    "grade_level" INTEGER NOT NULL,
    "sequence" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,

    CONSTRAINT "units_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "topics" (
    "id" TEXT NOT NULL,
    "unit_id" TEXT NOT NULL,
    "subdomain_id" TEXT,
    "domain_id" TEXT,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "bkt_p_l0" DOUBLE PRECISION NOT NULL DEFAULT 0.3,
    "bkt_p_transit" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    "bkt_p_slip" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    "bkt_p_guess" DOUBLE PRECISION NOT NULL DEFAULT 0.2,
    "bkt_calibrated_at" TIMESTAMP(3),

    CONSTRAINT "topics_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "topic_prerequisites" (
    "topic_id" TEXT NOT NULL,
    "prerequisite_topic_id" TEXT NOT NULL,

    CONSTRAINT "topic_prerequisites_pkey" PRIMARY KEY ("topic_id","prerequisite_topic_id")
);

-- CreateTable
CREATE TABLE "official_oa_codes" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "grade" INTEGER NOT NULL,

    CONSTRAINT "official_oa_codes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "_OfficialOACodeToTopic" (
    "A" TEXT NOT NULL,
    "B" TEXT NOT NULL,

    CONSTRAINT "_OfficialOACodeToTopic_AB_pkey" PRIMARY KEY ("A","B")
);

-- ---------------------------------------------------------------------------------------------
-- 2.4 Error taxonomy
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "domains" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,

    CONSTRAINT "domains_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subdomains" (
    "id" TEXT NOT NULL,
    "domain_id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "subdomains_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "error_tags" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "topic_scope" TEXT,
    "description" TEXT NOT NULL,
    "domain_id" TEXT,
    "subdomain_code" TEXT,
    "source" "ErrorSource" NOT NULL DEFAULT 'CURATED',
    "status" "ErrorStatus" NOT NULL DEFAULT 'ACTIVE',
    "severity" "ErrorSeverity" NOT NULL DEFAULT 'MED',
    "applicable_grades" INTEGER[],
    "evidence_required" TEXT[],
    "diagnostic_hint" TEXT,
    "remediation" TEXT,
    "references" TEXT[],
    "deprecated_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "error_tags_pkey" PRIMARY KEY ("id")
);

-- ---------------------------------------------------------------------------------------------
-- 2.5 Exercises, assignments, work
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "exercises" (
    "id" TEXT NOT NULL,
    "topic_id" TEXT NOT NULL,
    "source" TEXT NOT NULL DEFAULT 'SYSTEM',
    "created_by_teacher_id" TEXT,
    "content" JSONB NOT NULL,
    "language" TEXT NOT NULL DEFAULT 'es',
    "irt_a" DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    "irt_b" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
    "irt_calibrated_at" TIMESTAMP(3),
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "exercises_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "_ExerciseTargetErrors" (
    "A" TEXT NOT NULL,
    "B" TEXT NOT NULL,

    CONSTRAINT "_ExerciseTargetErrors_AB_pkey" PRIMARY KEY ("A","B")
);

-- CreateTable
CREATE TABLE "assignments" (
    "id" TEXT NOT NULL,
    "course_id" TEXT,
    "created_by_teacher_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'EXERCISES',
    "due_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "assignments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assignment_targets" (
    "assignment_id" TEXT NOT NULL,
    "student_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',

    CONSTRAINT "assignment_targets_pkey" PRIMARY KEY ("assignment_id","student_id")
);

-- CreateTable
CREATE TABLE "assignment_exercises" (
    "assignment_id" TEXT NOT NULL,
    "exercise_id" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,

    CONSTRAINT "assignment_exercises_pkey" PRIMARY KEY ("assignment_id","sequence")
);

-- CreateTable
CREATE TABLE "attempts" (
    "id" TEXT NOT NULL,
    "assignment_id" TEXT,
    "exercise_id" TEXT,
    "student_id" TEXT NOT NULL,
    "course_id" TEXT,
    "input_mode" TEXT NOT NULL DEFAULT 'DIGITAL',
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "final_answer" TEXT,
    "is_correct" BOOLEAN NOT NULL,
    "classifier_source" TEXT NOT NULL DEFAULT 'RULE',
    "error_tag_id" TEXT,
    "confidence" DOUBLE PRECISION,
    "ocr_confidence" DOUBLE PRECISION,
    "ocr_provider" TEXT,
    "llm_job_id" TEXT,
    "trace_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "classified_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attempt_steps" (
    "id" TEXT NOT NULL,
    "attempt_id" TEXT NOT NULL,
    "step_index" INTEGER NOT NULL,
    "content_latex" TEXT NOT NULL,
    "duration_ms" INTEGER,
    "is_correct" BOOLEAN,
    "error_subtag" TEXT,
    "error_tag_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attempt_steps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attempt_error_reports" (
    "id" TEXT NOT NULL,
    "attempt_id" TEXT NOT NULL,
    "error_tag_id" TEXT NOT NULL,
    "reported_by_id" TEXT,
    "comment" TEXT,
    "source" "ErrorSource" NOT NULL DEFAULT 'FIELD_REPORTED',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attempt_error_reports_pkey" PRIMARY KEY ("id")
);

-- ---------------------------------------------------------------------------------------------
-- 2.6 Mastery and alerts
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "student_topic_mastery" (
    "student_id" TEXT NOT NULL,
    "topic_id" TEXT NOT NULL,
    "p_known" DOUBLE PRECISION NOT NULL DEFAULT 0.3,
    "p_slip" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    "p_guess" DOUBLE PRECISION NOT NULL DEFAULT 0.2,
    "p_transit" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    "attempts_count" INTEGER NOT NULL DEFAULT 0,
    "last_attempt_at" TIMESTAMP(3),
    "trend_7d" DOUBLE PRECISION,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "student_topic_mastery_pkey" PRIMARY KEY ("student_id","topic_id")
);

-- CreateTable
CREATE TABLE "teacher_alerts" (
    "id" TEXT NOT NULL,
    "teacher_id" TEXT NOT NULL,
    "course_id" TEXT NOT NULL,
    "topic_id" TEXT,
    "student_id" TEXT,
    "alert_type" TEXT NOT NULL,
    "severity" TEXT NOT NULL DEFAULT 'MED',
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMP(3),
    "resolved_by" TEXT,

    CONSTRAINT "teacher_alerts_pkey" PRIMARY KEY ("id")
);

-- ---------------------------------------------------------------------------------------------
-- 2.7 SIS/LMS integrations
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "school_integrations" (
    "id" TEXT NOT NULL,
    "school_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'DRAFT',
    "cadence" TEXT NOT NULL DEFAULT 'MANUAL',
    "config" JSONB NOT NULL DEFAULT '{}',
    "last_sync_at" TIMESTAMP(3),
    "last_sync_error" TEXT,
    "created_by_teacher_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "school_integrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "external_id_maps" (
    "id" TEXT NOT NULL,
    "school_integration_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "external_entity_type" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "internal_entity_type" TEXT NOT NULL,
    "internal_entity_id" TEXT NOT NULL,
    "first_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMP(3),

    CONSTRAINT "external_id_maps_pkey" PRIMARY KEY ("id")
);

-- ---------------------------------------------------------------------------------------------
-- 2.8 Guides pipeline
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "guides" (
    "id" TEXT NOT NULL,
    "course_id" TEXT NOT NULL,
    "created_by_teacher_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" "GuideStatus" NOT NULL DEFAULT 'UPLOADED',
    "source_pdf_key" TEXT NOT NULL,
    "source_pdf_pages" INTEGER,
    "source_kind" TEXT,
    "latex_key" TEXT,
    "extraction_confidence" DOUBLE PRECISION,
    "extraction_model" TEXT,
    "failure_reason" TEXT,
    "question_count" INTEGER NOT NULL DEFAULT 0,
    "max_resubmissions" INTEGER NOT NULL DEFAULT 2,
    "show_solution_after_grade" BOOLEAN NOT NULL DEFAULT false,
    "assignment_id" TEXT,
    "due_at" TIMESTAMP(3),
    "published_at" TIMESTAMP(3),
    "trace_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "archived_at" TIMESTAMP(3),

    CONSTRAINT "guides_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "guide_questions" (
    "id" TEXT NOT NULL,
    "guide_id" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "label" TEXT,
    "statement_latex" TEXT NOT NULL,
    "statement_json" JSONB,
    "figure_keys" TEXT[],
    "provided_answer" TEXT,
    "provided_solution_latex" TEXT,
    "points" DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    "status" "GuideQuestionStatus" NOT NULL DEFAULT 'EXTRACTED',
    "topic_id" TEXT,
    "domain_id" TEXT,
    "subdomain_id" TEXT,
    "topic_confidence" DOUBLE PRECISION,
    "topic_source" TEXT,
    "exercise_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "guide_questions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "guide_solutions" (
    "id" TEXT NOT NULL,
    "guide_question_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "is_current" BOOLEAN NOT NULL DEFAULT true,
    "source" "SolutionSource" NOT NULL,
    "final_answer" TEXT NOT NULL,
    "steps_json" JSONB NOT NULL,
    "solution_latex" TEXT,
    "expected_error_tags" TEXT[],
    "generated_by_model" TEXT,
    "prompt_version" TEXT,
    "validation_notes" TEXT,
    "created_by_teacher_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "guide_solutions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "guide_submissions" (
    "id" TEXT NOT NULL,
    "guide_id" TEXT NOT NULL,
    "guide_question_id" TEXT NOT NULL,
    "student_id" TEXT NOT NULL,
    "attempt_number" INTEGER NOT NULL DEFAULT 1,
    "status" "SubmissionStatus" NOT NULL DEFAULT 'UPLOADED',
    "photo_keys" TEXT[],
    "transcription_latex" TEXT,
    "transcription_json" JSONB,
    "transcription_confidence" DOUBLE PRECISION,
    "alignment_json" JSONB,
    "solution_version" INTEGER,
    "score" DOUBLE PRECISION,
    "is_correct" BOOLEAN,
    "attempt_id" TEXT,
    "override_error_tag_id" TEXT,
    "override_by_id" TEXT,
    "override_at" TIMESTAMP(3),
    "model_used" TEXT,
    "failure_reason" TEXT,
    "trace_id" TEXT NOT NULL,
    "graded_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "guide_submissions_pkey" PRIMARY KEY ("id")
);

-- ---------------------------------------------------------------------------------------------
-- 2.9 Observability / cost
-- ---------------------------------------------------------------------------------------------

-- CreateTable
CREATE TABLE "cost_events" (
    "id" TEXT NOT NULL,
    "worker" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_creation_input_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_read_input_tokens" INTEGER NOT NULL DEFAULT 0,
    "cost_usd" DOUBLE PRECISION NOT NULL,
    "trace_id" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cost_events_pkey" PRIMARY KEY ("id")
);

-- ---------------------------------------------------------------------------------------------
-- Indexes (Prisma creates unique constraints as unique indexes, not as table constraints)
-- ---------------------------------------------------------------------------------------------

-- CreateIndex
CREATE UNIQUE INDEX "users_supabase_uid_key" ON "users"("supabase_uid");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "teachers_user_id_key" ON "teachers"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "students_user_id_key" ON "students"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "parents_user_id_key" ON "parents"("user_id");

-- CreateIndex
CREATE INDEX "schools_organization_id_idx" ON "schools"("organization_id");

-- CreateIndex
CREATE INDEX "schools_domain_idx" ON "schools"("domain");

-- CreateIndex
CREATE UNIQUE INDEX "schools_rbd_key" ON "schools"("rbd");

-- CreateIndex
CREATE INDEX "courses_school_id_academic_year_idx" ON "courses"("school_id", "academic_year");

-- CreateIndex
CREATE INDEX "courses_subject_id_idx" ON "courses"("subject_id");

-- CreateIndex
CREATE INDEX "enrollments_student_id_idx" ON "enrollments"("student_id");

-- CreateIndex
CREATE UNIQUE INDEX "enrollments_course_id_student_id_key" ON "enrollments"("course_id", "student_id");

-- CreateIndex
CREATE UNIQUE INDEX "classroom_invites_code_key" ON "classroom_invites"("code");

-- CreateIndex
CREATE INDEX "classroom_invites_code_idx" ON "classroom_invites"("code");

-- CreateIndex
CREATE INDEX "classroom_invites_course_id_idx" ON "classroom_invites"("course_id");

-- CreateIndex
CREATE UNIQUE INDEX "subjects_code_key" ON "subjects"("code");

-- CreateIndex
CREATE UNIQUE INDEX "curricula_subject_id_country_version_key" ON "curricula"("subject_id", "country", "version");

-- CreateIndex
CREATE INDEX "units_curriculum_id_grade_level_sequence_idx" ON "units"("curriculum_id", "grade_level", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "units_curriculum_id_code_key" ON "units"("curriculum_id", "code");

-- CreateIndex
CREATE INDEX "topics_subdomain_id_idx" ON "topics"("subdomain_id");

-- CreateIndex
CREATE INDEX "topics_domain_id_idx" ON "topics"("domain_id");

-- CreateIndex
CREATE UNIQUE INDEX "topics_unit_id_code_key" ON "topics"("unit_id", "code");

-- CreateIndex
CREATE UNIQUE INDEX "official_oa_codes_code_key" ON "official_oa_codes"("code");

-- CreateIndex
CREATE INDEX "official_oa_codes_grade_idx" ON "official_oa_codes"("grade");

-- CreateIndex
CREATE INDEX "_OfficialOACodeToTopic_B_index" ON "_OfficialOACodeToTopic"("B");

-- CreateIndex
CREATE UNIQUE INDEX "domains_code_key" ON "domains"("code");

-- CreateIndex
CREATE INDEX "subdomains_domain_id_idx" ON "subdomains"("domain_id");

-- CreateIndex
CREATE UNIQUE INDEX "subdomains_domain_id_code_key" ON "subdomains"("domain_id", "code");

-- CreateIndex
CREATE UNIQUE INDEX "error_tags_code_key" ON "error_tags"("code");

-- CreateIndex
CREATE INDEX "error_tags_domain_id_status_idx" ON "error_tags"("domain_id", "status");

-- CreateIndex
CREATE INDEX "error_tags_source_idx" ON "error_tags"("source");

-- CreateIndex
CREATE INDEX "exercises_topic_id_source_idx" ON "exercises"("topic_id", "source");

-- CreateIndex
CREATE INDEX "exercises_topic_id_status_idx" ON "exercises"("topic_id", "status");

-- CreateIndex
CREATE INDEX "_ExerciseTargetErrors_B_index" ON "_ExerciseTargetErrors"("B");

-- CreateIndex
CREATE INDEX "assignments_course_id_idx" ON "assignments"("course_id");

-- CreateIndex
CREATE INDEX "assignments_created_by_teacher_id_idx" ON "assignments"("created_by_teacher_id");

-- CreateIndex
CREATE INDEX "assignment_targets_student_id_idx" ON "assignment_targets"("student_id");

-- CreateIndex
CREATE INDEX "attempts_student_id_idx" ON "attempts"("student_id");

-- CreateIndex
CREATE INDEX "attempts_course_id_idx" ON "attempts"("course_id");

-- CreateIndex
CREATE INDEX "attempts_exercise_id_created_at_idx" ON "attempts"("exercise_id", "created_at");

-- CreateIndex
CREATE INDEX "attempts_error_tag_id_idx" ON "attempts"("error_tag_id");

-- CreateIndex
CREATE INDEX "attempt_steps_error_tag_id_idx" ON "attempt_steps"("error_tag_id");

-- CreateIndex
CREATE UNIQUE INDEX "attempt_steps_attempt_id_step_index_key" ON "attempt_steps"("attempt_id", "step_index");

-- CreateIndex
CREATE INDEX "attempt_error_reports_attempt_id_idx" ON "attempt_error_reports"("attempt_id");

-- CreateIndex
CREATE INDEX "attempt_error_reports_error_tag_id_idx" ON "attempt_error_reports"("error_tag_id");

-- CreateIndex
CREATE INDEX "student_topic_mastery_topic_id_idx" ON "student_topic_mastery"("topic_id");

-- CreateIndex
CREATE INDEX "student_topic_mastery_last_attempt_at_idx" ON "student_topic_mastery"("last_attempt_at");

-- CreateIndex
CREATE INDEX "teacher_alerts_teacher_id_resolved_at_idx" ON "teacher_alerts"("teacher_id", "resolved_at");

-- CreateIndex
CREATE INDEX "teacher_alerts_course_id_alert_type_created_at_idx" ON "teacher_alerts"("course_id", "alert_type", "created_at");

-- CreateIndex
CREATE INDEX "school_integrations_status_idx" ON "school_integrations"("status");

-- CreateIndex
CREATE UNIQUE INDEX "school_integrations_school_id_provider_key" ON "school_integrations"("school_id", "provider");

-- CreateIndex
CREATE INDEX "external_id_maps_internal_entity_type_internal_entity_id_idx" ON "external_id_maps"("internal_entity_type", "internal_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "external_id_maps_provider_external_entity_type_external_id__key" ON "external_id_maps"("provider", "external_entity_type", "external_id", "school_integration_id");

-- CreateIndex
CREATE UNIQUE INDEX "guides_assignment_id_key" ON "guides"("assignment_id");

-- CreateIndex
CREATE INDEX "guides_course_id_status_idx" ON "guides"("course_id", "status");

-- CreateIndex
CREATE INDEX "guides_created_by_teacher_id_idx" ON "guides"("created_by_teacher_id");

-- CreateIndex
CREATE UNIQUE INDEX "guide_questions_exercise_id_key" ON "guide_questions"("exercise_id");

-- CreateIndex
CREATE INDEX "guide_questions_topic_id_idx" ON "guide_questions"("topic_id");

-- CreateIndex
CREATE UNIQUE INDEX "guide_questions_guide_id_sequence_key" ON "guide_questions"("guide_id", "sequence");

-- CreateIndex
CREATE INDEX "guide_solutions_guide_question_id_is_current_idx" ON "guide_solutions"("guide_question_id", "is_current");

-- CreateIndex
CREATE UNIQUE INDEX "guide_solutions_guide_question_id_version_key" ON "guide_solutions"("guide_question_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "guide_submissions_attempt_id_key" ON "guide_submissions"("attempt_id");

-- CreateIndex
CREATE INDEX "guide_submissions_guide_id_student_id_idx" ON "guide_submissions"("guide_id", "student_id");

-- CreateIndex
CREATE INDEX "guide_submissions_status_idx" ON "guide_submissions"("status");

-- CreateIndex
CREATE INDEX "guide_submissions_override_error_tag_id_idx" ON "guide_submissions"("override_error_tag_id");

-- CreateIndex
CREATE UNIQUE INDEX "guide_submissions_guide_question_id_student_id_attempt_numb_key" ON "guide_submissions"("guide_question_id", "student_id", "attempt_number");

-- CreateIndex
CREATE INDEX "cost_events_created_at_idx" ON "cost_events"("created_at");

-- CreateIndex
CREATE INDEX "cost_events_model_created_at_idx" ON "cost_events"("model", "created_at");

-- ---------------------------------------------------------------------------------------------
-- Foreign keys: ON UPDATE CASCADE always; on delete RESTRICT (required) / SET NULL (optional);
-- the implicit m:n join tables cascade on both sides.
-- ---------------------------------------------------------------------------------------------

-- AddForeignKey
ALTER TABLE "teachers" ADD CONSTRAINT "teachers_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "students" ADD CONSTRAINT "students_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "parents" ADD CONSTRAINT "parents_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "parent_links" ADD CONSTRAINT "parent_links_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "parents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "parent_links" ADD CONSTRAINT "parent_links_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "students"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schools" ADD CONSTRAINT "schools_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "courses" ADD CONSTRAINT "courses_school_id_fkey" FOREIGN KEY ("school_id") REFERENCES "schools"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "courses" ADD CONSTRAINT "courses_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_teachers" ADD CONSTRAINT "course_teachers_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_teachers" ADD CONSTRAINT "course_teachers_teacher_id_fkey" FOREIGN KEY ("teacher_id") REFERENCES "teachers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "students"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "classroom_invites" ADD CONSTRAINT "classroom_invites_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "curricula" ADD CONSTRAINT "curricula_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "units" ADD CONSTRAINT "units_curriculum_id_fkey" FOREIGN KEY ("curriculum_id") REFERENCES "curricula"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topics" ADD CONSTRAINT "topics_unit_id_fkey" FOREIGN KEY ("unit_id") REFERENCES "units"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topics" ADD CONSTRAINT "topics_subdomain_id_fkey" FOREIGN KEY ("subdomain_id") REFERENCES "subdomains"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topics" ADD CONSTRAINT "topics_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic_prerequisites" ADD CONSTRAINT "topic_prerequisites_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic_prerequisites" ADD CONSTRAINT "topic_prerequisites_prerequisite_topic_id_fkey" FOREIGN KEY ("prerequisite_topic_id") REFERENCES "topics"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "_OfficialOACodeToTopic" ADD CONSTRAINT "_OfficialOACodeToTopic_A_fkey" FOREIGN KEY ("A") REFERENCES "official_oa_codes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "_OfficialOACodeToTopic" ADD CONSTRAINT "_OfficialOACodeToTopic_B_fkey" FOREIGN KEY ("B") REFERENCES "topics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subdomains" ADD CONSTRAINT "subdomains_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "error_tags" ADD CONSTRAINT "error_tags_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "error_tags" ADD CONSTRAINT "error_tags_deprecated_by_id_fkey" FOREIGN KEY ("deprecated_by_id") REFERENCES "error_tags"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "exercises" ADD CONSTRAINT "exercises_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "_ExerciseTargetErrors" ADD CONSTRAINT "_ExerciseTargetErrors_A_fkey" FOREIGN KEY ("A") REFERENCES "error_tags"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "_ExerciseTargetErrors" ADD CONSTRAINT "_ExerciseTargetErrors_B_fkey" FOREIGN KEY ("B") REFERENCES "exercises"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_created_by_teacher_id_fkey" FOREIGN KEY ("created_by_teacher_id") REFERENCES "teachers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment_targets" ADD CONSTRAINT "assignment_targets_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment_targets" ADD CONSTRAINT "assignment_targets_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "students"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment_exercises" ADD CONSTRAINT "assignment_exercises_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment_exercises" ADD CONSTRAINT "assignment_exercises_exercise_id_fkey" FOREIGN KEY ("exercise_id") REFERENCES "exercises"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_exercise_id_fkey" FOREIGN KEY ("exercise_id") REFERENCES "exercises"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "students"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_error_tag_id_fkey" FOREIGN KEY ("error_tag_id") REFERENCES "error_tags"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempt_steps" ADD CONSTRAINT "attempt_steps_attempt_id_fkey" FOREIGN KEY ("attempt_id") REFERENCES "attempts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempt_steps" ADD CONSTRAINT "attempt_steps_error_tag_id_fkey" FOREIGN KEY ("error_tag_id") REFERENCES "error_tags"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempt_error_reports" ADD CONSTRAINT "attempt_error_reports_attempt_id_fkey" FOREIGN KEY ("attempt_id") REFERENCES "attempts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempt_error_reports" ADD CONSTRAINT "attempt_error_reports_error_tag_id_fkey" FOREIGN KEY ("error_tag_id") REFERENCES "error_tags"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempt_error_reports" ADD CONSTRAINT "attempt_error_reports_reported_by_id_fkey" FOREIGN KEY ("reported_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "student_topic_mastery" ADD CONSTRAINT "student_topic_mastery_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "students"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "student_topic_mastery" ADD CONSTRAINT "student_topic_mastery_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "teacher_alerts" ADD CONSTRAINT "teacher_alerts_teacher_id_fkey" FOREIGN KEY ("teacher_id") REFERENCES "teachers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "teacher_alerts" ADD CONSTRAINT "teacher_alerts_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "teacher_alerts" ADD CONSTRAINT "teacher_alerts_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "school_integrations" ADD CONSTRAINT "school_integrations_school_id_fkey" FOREIGN KEY ("school_id") REFERENCES "schools"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "school_integrations" ADD CONSTRAINT "school_integrations_created_by_teacher_id_fkey" FOREIGN KEY ("created_by_teacher_id") REFERENCES "teachers"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "external_id_maps" ADD CONSTRAINT "external_id_maps_school_integration_id_fkey" FOREIGN KEY ("school_integration_id") REFERENCES "school_integrations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guides" ADD CONSTRAINT "guides_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guides" ADD CONSTRAINT "guides_created_by_teacher_id_fkey" FOREIGN KEY ("created_by_teacher_id") REFERENCES "teachers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guides" ADD CONSTRAINT "guides_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_questions" ADD CONSTRAINT "guide_questions_guide_id_fkey" FOREIGN KEY ("guide_id") REFERENCES "guides"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_questions" ADD CONSTRAINT "guide_questions_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topics"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_questions" ADD CONSTRAINT "guide_questions_exercise_id_fkey" FOREIGN KEY ("exercise_id") REFERENCES "exercises"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_solutions" ADD CONSTRAINT "guide_solutions_guide_question_id_fkey" FOREIGN KEY ("guide_question_id") REFERENCES "guide_questions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_submissions" ADD CONSTRAINT "guide_submissions_guide_id_fkey" FOREIGN KEY ("guide_id") REFERENCES "guides"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_submissions" ADD CONSTRAINT "guide_submissions_guide_question_id_fkey" FOREIGN KEY ("guide_question_id") REFERENCES "guide_questions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_submissions" ADD CONSTRAINT "guide_submissions_student_id_fkey" FOREIGN KEY ("student_id") REFERENCES "students"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_submissions" ADD CONSTRAINT "guide_submissions_attempt_id_fkey" FOREIGN KEY ("attempt_id") REFERENCES "attempts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "guide_submissions" ADD CONSTRAINT "guide_submissions_override_error_tag_id_fkey" FOREIGN KEY ("override_error_tag_id") REFERENCES "error_tags"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Row-level security (reference migration 7, data-model.md §3.1)
-- ---------------------------------------------------------------------------------------------

-- Always: RLS on (not forced) for 13 tables. The backend connects as the owner/service role and
-- is not affected; without policies, any other role sees no rows.
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "teachers" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "students" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "parents" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "parent_links" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "courses" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "enrollments" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "assignments" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "assignment_targets" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "attempts" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "attempt_steps" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "student_topic_mastery" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "teacher_alerts" ENABLE ROW LEVEL SECURITY;

-- Only on Supabase (an `auth` schema with auth.uid()): the reference's two helper functions,
-- three id helpers (see below: the one deliberate difference, it avoids policy recursion) and the
-- 23 policies for direct PostgREST / supabase-js access. Dynamic SQL, so nothing referencing
-- auth.* is parsed on a vanilla Postgres.
DO $rls$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'auth') THEN
        RAISE NOTICE 'schema "auth" not found: RLS stays enabled without policies (not Supabase)';
        RETURN;
    END IF;

    -- Returns text, not uuid: every id column is text.
    EXECUTE $sql$
        CREATE OR REPLACE FUNCTION public.current_prisma_user_id() RETURNS text
        LANGUAGE sql STABLE AS $fn$
            SELECT u.id FROM public.users u WHERE u.supabase_uid = auth.uid()::text LIMIT 1
        $fn$
    $sql$;

    -- Reads the claims setting directly: auth.jwt() is missing in some Supabase CLI versions.
    -- Missing or empty claims, or no app_metadata.role, mean 'student'.
    EXECUTE $sql$
        CREATE OR REPLACE FUNCTION public.current_user_role() RETURNS text
        LANGUAGE sql STABLE AS $fn$
            SELECT COALESCE(
                NULLIF(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'role',
                'student'
            )
        $fn$
    $sql$;

    -- "My student / teacher / parent ids". SECURITY DEFINER (run as the table owner, so RLS
    -- does not apply inside): the policies below would otherwise reference each other's tables
    -- (teachers -> students -> teachers ...) and every query would fail with "infinite
    -- recursion detected in policy". Same predicates as the reference's, one level removed.
    EXECUTE $sql$
        CREATE OR REPLACE FUNCTION public.current_student_ids() RETURNS SETOF text
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
            SELECT s.id FROM public.students s WHERE s.user_id = public.current_prisma_user_id()
        $fn$
    $sql$;

    EXECUTE $sql$
        CREATE OR REPLACE FUNCTION public.current_teacher_ids() RETURNS SETOF text
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
            SELECT t.id FROM public.teachers t WHERE t.user_id = public.current_prisma_user_id()
        $fn$
    $sql$;

    EXECUTE $sql$
        CREATE OR REPLACE FUNCTION public.current_parent_ids() RETURNS SETOF text
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
            SELECT p.id FROM public.parents p WHERE p.user_id = public.current_prisma_user_id()
        $fn$
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "users: own row" ON public.users FOR ALL
        USING (supabase_uid = auth.uid()::text)
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "teachers: own profile" ON public.teachers FOR ALL
        USING (user_id = public.current_prisma_user_id())
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "teachers: read by enrolled students" ON public.teachers FOR SELECT
        USING (
            public.current_user_role() IN ('student', 'parent')
            AND EXISTS (
                SELECT 1
                FROM public.course_teachers ct
                JOIN public.enrollments e ON e.course_id = ct.course_id
                WHERE ct.teacher_id = teachers.id
                  AND e.student_id IN (
                      SELECT public.current_student_ids()
                  )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "students: own profile" ON public.students FOR ALL
        USING (user_id = public.current_prisma_user_id())
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "students: teacher can read enrolled" ON public.students FOR SELECT
        USING (
            public.current_user_role() = 'teacher'
            AND EXISTS (
                SELECT 1
                FROM public.enrollments e
                JOIN public.course_teachers ct ON ct.course_id = e.course_id
                WHERE e.student_id = students.id
                  AND ct.teacher_id IN (
                      SELECT public.current_teacher_ids()
                  )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "students: parent can read linked" ON public.students FOR SELECT
        USING (
            public.current_user_role() = 'parent'
            AND EXISTS (
                SELECT 1
                FROM public.parent_links pl
                WHERE pl.student_id = students.id
                  AND pl.parent_id IN (
                      SELECT public.current_parent_ids()
                  )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "parents: own profile" ON public.parents FOR ALL
        USING (user_id = public.current_prisma_user_id())
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "parent_links: own links" ON public.parent_links FOR ALL
        USING (
            parent_id IN (SELECT public.current_parent_ids())
            OR student_id IN (SELECT public.current_student_ids())
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "courses: teacher can manage own" ON public.courses FOR ALL
        USING (
            public.current_user_role() = 'teacher'
            AND EXISTS (
                SELECT 1
                FROM public.course_teachers ct
                WHERE ct.course_id = courses.id
                  AND ct.teacher_id IN (
                      SELECT public.current_teacher_ids()
                  )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "courses: student can read enrolled" ON public.courses FOR SELECT
        USING (
            public.current_user_role() IN ('student', 'parent')
            AND EXISTS (
                SELECT 1
                FROM public.enrollments e
                WHERE e.course_id = courses.id
                  AND e.student_id IN (
                      SELECT public.current_student_ids()
                  )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "enrollments: student own" ON public.enrollments FOR SELECT
        USING (
            student_id IN (SELECT public.current_student_ids())
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "enrollments: teacher reads course enrollments" ON public.enrollments FOR SELECT
        USING (
            public.current_user_role() = 'teacher'
            AND EXISTS (
                SELECT 1
                FROM public.course_teachers ct
                WHERE ct.course_id = enrollments.course_id
                  AND ct.teacher_id IN (
                      SELECT public.current_teacher_ids()
                  )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "assignments: teacher can manage own" ON public.assignments FOR ALL
        USING (
            created_by_teacher_id IN (
                SELECT public.current_teacher_ids()
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "assignments: student can read targeted" ON public.assignments FOR SELECT
        USING (
            public.current_user_role() IN ('student', 'parent')
            AND (
                course_id IN (
                    SELECT e.course_id
                    FROM public.enrollments e
                    WHERE e.student_id IN (
                        SELECT public.current_student_ids()
                    )
                )
                OR id IN (
                    SELECT at.assignment_id
                    FROM public.assignment_targets at
                    WHERE at.student_id IN (
                        SELECT public.current_student_ids()
                    )
                )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "assignment_targets: student own" ON public.assignment_targets FOR SELECT
        USING (
            student_id IN (SELECT public.current_student_ids())
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "attempts: student own" ON public.attempts FOR ALL
        USING (
            student_id IN (SELECT public.current_student_ids())
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "attempts: teacher reads course attempts" ON public.attempts FOR SELECT
        USING (
            public.current_user_role() = 'teacher'
            AND course_id IN (
                SELECT ct.course_id
                FROM public.course_teachers ct
                WHERE ct.teacher_id IN (
                    SELECT public.current_teacher_ids()
                )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "attempts: parent reads linked student" ON public.attempts FOR SELECT
        USING (
            public.current_user_role() = 'parent'
            AND student_id IN (
                SELECT pl.student_id
                FROM public.parent_links pl
                WHERE pl.parent_id IN (
                    SELECT public.current_parent_ids()
                )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "attempt_steps: via attempt visibility" ON public.attempt_steps FOR SELECT
        USING (attempt_id IN (SELECT a.id FROM public.attempts a))
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "mastery: student own" ON public.student_topic_mastery FOR ALL
        USING (
            student_id IN (SELECT public.current_student_ids())
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "mastery: teacher reads course" ON public.student_topic_mastery FOR SELECT
        USING (
            public.current_user_role() = 'teacher'
            AND EXISTS (
                SELECT 1
                FROM public.enrollments e
                JOIN public.course_teachers ct ON ct.course_id = e.course_id
                WHERE e.student_id = student_topic_mastery.student_id
                  AND ct.teacher_id IN (
                      SELECT public.current_teacher_ids()
                  )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "mastery: parent reads linked student" ON public.student_topic_mastery FOR SELECT
        USING (
            public.current_user_role() = 'parent'
            AND student_id IN (
                SELECT pl.student_id
                FROM public.parent_links pl
                WHERE pl.parent_id IN (
                    SELECT public.current_parent_ids()
                )
            )
        )
    $sql$;

    EXECUTE $sql$
        CREATE POLICY "alerts: teacher own" ON public.teacher_alerts FOR ALL
        USING (
            teacher_id IN (SELECT public.current_teacher_ids())
        )
    $sql$;
END
$rls$;
